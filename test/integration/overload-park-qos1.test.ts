import { describe, expect, it } from 'vitest';
import { isEmbeddedGateway } from '../../config/probe-targets.ts';
import type { Ingest } from '../../services/ingest/ingest.ts';
import { login } from '../setup/app.ts';
import { heldStoreApp } from '../setup/held-store.ts';
import { connectDevice, waitFor } from '../setup/helpers.ts';

/**
 * QoS 1 under overload (issue #15 item 2, Ingest.park): while the healthy store is far behind, a
 * QoS 1 message waits in memory unacknowledged instead of joining the spool, so the spool never
 * outgrows what it keeps in memory (past that, every batch was read back from its file and the
 * store starved). The real SQLite store is held still until the flood has been read; then every
 * message is acknowledged and stored once, in order, none refused.
 */
const BATCH = 5;
/** BatchWriter: the gate holds at BATCH × 8, QoS 1 parks from BATCH × 16. */
const PARK_AT = BATCH * 16;
const SENT = 2000;
const T0 = Date.UTC(2026, 11, 2, 1);

const held = heldStoreApp(BATCH);

describe('QoS 1 under overload', () => {
  it('parks what is past the mark unacknowledged, keeps the spool bounded, and stores every message once', async () => {
    const [flooder] = [...held.app.directory.all()].filter(
      (d) => d.communeId === 'ta-lai' && !isEmbeddedGateway(d),
    );
    held.clients.push(await connectDevice(held.app, flooder!.id));
    const f = held.clients[0]!;
    const topic = `cx/v1/ta-lai/${flooder!.id}/telemetry`;
    const acks = Array.from({ length: SENT }, (_, i) =>
      f.publishAsync(topic, `{"v":1,"ts":${T0 + i},"metrics":{"seq":${i}}}`, { qos: 1 }),
    );
    const ingest = held.app.ingest as unknown as Ingest;
    await waitFor(() => ingest.stats().parkedQos1 > 0, 'QoS 1 parked under overload', 60_000);
    // Bounded: the spool took nothing past the mark, whatever the reads brought.
    expect(ingest.inflow().peakBacklog).toBeLessThanOrEqual(PARK_AT);
    expect(ingest.stats().overloadRefusedQos0).toBe(0);

    held.release();
    await Promise.all(acks);
    // Acknowledged only once durable, so every one is in the store (after the spool's drain).
    await waitFor(
      async () => (await held.storedSeqs(flooder!.id, T0, SENT)) === SENT,
      'every QoS 1 message stored',
      120_000,
      200,
    );
    const s = ingest.stats();
    expect(s.parkedQos1).toBe(0);
    expect(s.overloadParkedQos1).toBeGreaterThan(0);
    expect(s.duplicatesSkipped).toBe(0);
    expect(ingest.inflow().peakBacklog).toBeLessThanOrEqual(PARK_AT);

    // Visible to the technician; the sender was never cut off and stayed online.
    const cookie = await login(held.app, 'kythuat.talai', held.app.userPasswords.get('kythuat.talai')!);
    const res = await fetch(`${held.app.apiUrl}/api/ingest/stats`, { headers: { cookie } });
    const stats = (await res.json()) as { overloadParkedQos1: number; parkedQos1: number };
    expect(stats).toMatchObject({ overloadParkedQos1: s.overloadParkedQos1, parkedQos1: 0 });
    expect(f.connected).toBe(true);
    expect(held.app.availability.get(flooder!.id)?.state).toBe('up');
  }, 240_000);
});
