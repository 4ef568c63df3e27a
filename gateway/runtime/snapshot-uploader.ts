import { createHash } from 'node:crypto';
import type { CameraSnapshotSink } from '../probes/support/camera-sink.ts';
import type { ImageMeasures } from '../probes/support/image-checks.ts';
import type { Logger } from './logger.ts';

/** Uploads waiting at most; past it the oldest is dropped (a newer snapshot of a camera says more). */
const MAX_QUEUED = 64;
const CONCURRENCY = 2;
const TIMEOUT_MS = 30_000;

/**
 * Where a gateway box at a site leaves its cameras' snapshots: the service's snapshot store, by an
 * authenticated HTTP upload (PUT /api/cameras/:id/snapshots, HTTP Basic with the gateway's own id
 * and MQTT password), never through MQTT. `keep` returns the image's sha256 at once, so the
 * verdict sent over MQTT can name it; the upload follows in the background, two at a time. Each
 * answer brings back the camera's approved reference dHash, so the probe here judges "scene
 * moved" from its next run on, as the embedded one does.
 *
 * Snapshots are evidence, not readings: one that cannot be uploaded (service unreachable, queue
 * full) is logged and counted, not buffered to disk like the verdicts.
 */
export class SnapshotUploader implements CameraSnapshotSink {
  private readonly refs = new Map<string, string>();
  private readonly queue: Array<{ deviceId: string; jpeg: Buffer; takenTs: number }> = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly log: Logger;
  readonly counts = { uploaded: 0, refused: 0, failed: 0, dropped: 0 };

  constructor(private readonly opts: { apiUrl: string; gatewayId: string; password: string; log: Logger }) {
    this.log = opts.log.child({ mod: 'gateway.snapshots' });
  }

  keep(deviceId: string, jpeg: Buffer, _m: ImageMeasures, takenTs: number): string {
    const sha = createHash('sha256').update(jpeg).digest('hex');
    if (this.abort.signal.aborted) return sha;
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift();
      this.counts.dropped++;
      this.log.warn({ deviceId }, 'snapshot upload queue full: oldest dropped');
    }
    this.queue.push({ deviceId, jpeg, takenTs });
    this.pump();
    return sha;
  }

  referenceHash(deviceId: string): string | undefined {
    return this.refs.get(deviceId);
  }

  /** Stops taking snapshots and ends the uploads under way. */
  async stop(): Promise<void> {
    this.queue.length = 0;
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private pump(): void {
    while (this.inFlight.size < CONCURRENCY && this.queue.length > 0) {
      const next = this.queue.shift()!;
      const p = this.upload(next.deviceId, next.jpeg, next.takenTs).finally(() => {
        this.inFlight.delete(p);
        this.pump();
      });
      this.inFlight.add(p);
    }
  }

  private async upload(deviceId: string, jpeg: Buffer, takenTs: number): Promise<void> {
    const url = new URL(`/api/cameras/${encodeURIComponent(deviceId)}/snapshots`, this.opts.apiUrl);
    const basic = Buffer.from(`${this.opts.gatewayId}:${this.opts.password}`).toString('base64');
    try {
      const res = await fetch(url, {
        method: 'PUT',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'image/jpeg',
          'x-taken-ts': String(takenTs),
        },
        body: new Uint8Array(jpeg),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(TIMEOUT_MS)]),
      });
      const body = (await res.json().catch(() => ({}))) as { referenceDHash?: unknown; code?: unknown };
      if (!res.ok) {
        // 401/403 are ours to fix (a rotated secret, a camera moved to another gateway): an error.
        this.counts.refused++;
        const level = res.status === 401 || res.status === 403 ? 'error' : 'warn';
        this.log[level]({ deviceId, status: res.status, code: body.code }, 'snapshot upload refused');
        return;
      }
      this.counts.uploaded++;
      if (typeof body.referenceDHash === 'string') this.refs.set(deviceId, body.referenceDHash);
      else this.refs.delete(deviceId);
    } catch (err) {
      if (this.abort.signal.aborted) return;
      this.counts.failed++;
      this.log.warn({ err, deviceId }, 'snapshot upload failed');
    }
  }
}
