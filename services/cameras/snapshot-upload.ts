import type { Request } from 'express';
import { MAX_SNAPSHOT_BYTES } from '../../gateway/probes/support/http-snapshot.ts';
import { type ImageMeasures, measureJpeg } from '../../gateway/probes/support/image-checks.ts';
import type { ApiDeps } from '../api/deps.ts';
import { CxError } from '../shared/errors.ts';

/** What the gateway learns back: the stored hash, and the reference its "scene moved" check needs. */
export interface UploadReceipt {
  readonly sha256: string;
  /** dHash of the camera's approved reference view (16 hex digits), null until one is approved. */
  readonly referenceDHash: string | null;
}

/** A snapshot taken further back than this, or ahead of our clock, is kept at the time it arrived. */
const TAKEN_PAST_MS = 24 * 3_600_000;
const TAKEN_AHEAD_MS = 5 * 60_000;

/**
 * A snapshot from a probe gateway at a site (PUT /api/cameras/:id/snapshots): binary, so over HTTP
 * beside the MQTT verdicts, never in them. The gateway's credential is checked by the route's
 * access rule; here, that it reports for this camera (the same rule the broker's ACL applies to its
 * MQTT messages), the size, the type and that the bytes decode as a JPEG. We measure the image
 * ourselves: the store keeps our measures, not what a gateway claims.
 */
export async function receiveSnapshot(
  deps: Pick<ApiDeps, 'directory' | 'snapshots' | 'rejects' | 'clock'>,
  gatewayId: string,
  cameraId: string,
  req: Request,
): Promise<UploadReceipt> {
  const camera = deps.directory.get(cameraId);
  if (camera?.type.kind !== 'camera') throw new CxError('CX_NOT_FOUND', `no camera ${cameraId}`);
  if (!camera.reportedBy.includes(gatewayId)) {
    deps.rejects.record({
      source: 'api',
      reason: 'forbidden-snapshot',
      deviceId: gatewayId,
      communeId: camera.communeId,
      clientId: gatewayId,
      detail: `snapshot of ${cameraId}, which ${gatewayId} does not report for`,
    });
    throw new CxError('CX_FORBIDDEN', `${gatewayId} does not report for ${cameraId}`);
  }
  if (!/^image\/jpeg(;|$)/i.test(req.headers['content-type'] ?? ''))
    throw new CxError('CX_BAD_REQUEST', 'a snapshot is sent as Content-Type: image/jpeg');
  const bytes = await readBody(req, MAX_SNAPSHOT_BYTES);
  let measures: ImageMeasures;
  try {
    // JPEG starts with SOI and a marker (ITU T.81 §B.1.1.3); the decode proves the rest.
    if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff)
      throw new Error('no JPEG start of image');
    measures = measureJpeg(bytes);
  } catch (err) {
    throw new CxError('CX_BAD_REQUEST', `not a decodable JPEG: ${(err as Error).message}`.slice(0, 160));
  }
  const now = deps.clock();
  const claimed = Number(req.headers['x-taken-ts']);
  const takenTs =
    Number.isInteger(claimed) && claimed > now - TAKEN_PAST_MS && claimed < now + TAKEN_AHEAD_MS
      ? claimed
      : now;
  const sha256 = deps.snapshots?.keep(cameraId, bytes, measures, takenTs);
  if (!sha256) throw new CxError('CX_STORE_UNAVAILABLE', 'snapshot not kept');
  return { sha256, referenceDHash: deps.snapshots?.referenceHash(cameraId) ?? null };
}

/** The request body, refused with 413 as soon as it passes `max` bytes (Content-Length or counted). */
function readBody(req: Request, max: number): Promise<Buffer> {
  const tooLarge = () =>
    new CxError('CX_PAYLOAD_TOO_LARGE', 'snapshot over the limit', {
      params: { limitBytes: max, limitKb: max / 1024 },
    });
  if (Number(req.headers['content-length']) > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit the rest is read and dropped: the 413 is answered, the socket left usable.
      if (size > max) return reject(tooLarge());
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
