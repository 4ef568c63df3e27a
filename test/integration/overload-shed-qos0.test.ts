import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { isEmbeddedGateway } from '../../config/probe-targets.ts';
import type { Ingest } from '../../services/ingest/ingest.ts';
import { login } from '../setup/app.ts';
import { heldStoreApp } from '../setup/held-store.ts';
import { connectDevice, waitFor } from '../setup/helpers.ts';

/**
 * QoS 0 under overload (issue #15 item 2, BatchWriter.shedsQos0): while the healthy store is far
 * behind, a QoS 0 message is refused and counted instead of spooled; a QoS 1 sender is only slowed.
 * The store here is the real SQLite store, held still (its writes wait on a latch) until the flood
 * has been read, so the backlog cannot drain and what one socket read brings past the closed gate
 * meets the shedding mark.
 */
const BATCH = 5;
/** BatchWriter: the gate holds at BATCH × 8, QoS 0 is refused from BATCH × 16. */
const SHED_AT = BATCH * 16;
const SENT = 2000;
const T0 = Date.UTC(2026, 11, 2);

const held = heldStoreApp(BATCH);

async function api(path: string) {
  const cookie = await login(held.app, 'kythuat.talai', held.app.userPasswords.get('kythuat.talai')!);
  const res = await fetch(`${held.app.apiUrl}${path}`, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  return res.json();
}

describe('QoS 0 under overload', () => {
  it('refuses and counts what is past the mark, stores the rest, and slows QoS 1 instead', async () => {
    const [flooder, steady] = [...held.app.directory.all()].filter(
      (d) => d.communeId === 'ta-lai' && !isEmbeddedGateway(d),
    );
    for (const d of [flooder!, steady!]) held.clients.push(await connectDevice(held.app, d.id));
    const [f, s] = held.clients as [MqttClient, MqttClient];
    const topic = (id: string) => `cx/v1/ta-lai/${id}/telemetry`;
    // Small messages: one socket read (up to 64 KiB) holds hundreds of them.
    for (let i = 0; i < SENT; i++)
      f.publish(topic(flooder!.id), `{"v":1,"ts":${T0 + i},"metrics":{"seq":${i}}}`);
    const ingest = held.app.ingest as unknown as Ingest;
    await waitFor(() => ingest.stats().overloadRefusedQos0 > 0, 'QoS 0 refused under overload', 60_000);
    // What was taken is committed to the spool and its acknowledgements held: the gate closed.
    await waitFor(() => ingest.inflow().closes > 0, 'the gate closed', 60_000);
    const inflow = ingest.inflow();
    // Bounded: nothing was taken past the mark, whatever the reads brought.
    expect(inflow.peakBacklog).toBeLessThanOrEqual(SHED_AT);

    // A QoS 1 message meanwhile is not refused: its PUBACK waits for the store.
    const acked = s.publishAsync(topic(steady!.id), `{"v":1,"ts":${T0},"metrics":{"seq":1}}`, { qos: 1 });
    held.release();
    await acked;

    const stored = () => held.storedSeqs(flooder!.id, T0, SENT);
    // Every message the flooder sent is either stored or refused and counted: none silently lost.
    await waitFor(
      async () => (await stored()) + ingest.stats().overloadRefusedQos0 === SENT,
      'every QoS 0 message stored or counted as refused',
      120_000,
      200,
    );
    const refused = ingest.stats().overloadRefusedQos0;
    expect(refused).toBeGreaterThan(0);
    expect(await stored()).toBeGreaterThan(0);

    // Visible to the technician, per device and reason; the sender is not charged for it (still
    // connected, still acknowledged), and its flood kept it online.
    const stats = (await api('/api/ingest/stats')) as {
      overloadRefusedQos0: number;
      rejectsByReason: Array<{ reason: string; deviceId: string; count: number }>;
    };
    expect(stats.overloadRefusedQos0).toBe(refused);
    const row = stats.rejectsByReason.find((r) => r.reason === 'overload' && r.deviceId === flooder!.id);
    expect(row?.count).toBe(refused);
    await f.publishAsync(topic(flooder!.id), `{"v":1,"ts":${T0 + SENT},"metrics":{"seq":${SENT}}}`, {
      qos: 1,
    });
    expect(f.connected).toBe(true);
    expect(held.app.availability.get(flooder!.id)?.state).toBe('up');
  }, 240_000);
});
