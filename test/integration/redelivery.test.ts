import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UniqueMessageIdProvider } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDevice, login, startTestApp, type TestApp } from '../setup/app.ts';

const dataDirs: string[] = [];
let app: TestApp | undefined;
afterAll(async () => {
  await app?.stop();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

const id = 'tl-wifi-ubnd';
const topic = `cx/v1/ta-lai/${id}/telemetry`;
// No ts of its own: the service stamps it with its receive time, so a second copy would be a
// second reading.
const payload = JSON.stringify({ v: 1, metrics: { clientCount: 17 } });
const other = JSON.stringify({ v: 1, metrics: { clientCount: 18 } });

async function stored(a: TestApp): Promise<number> {
  await a.ingest.flush();
  return (await a.store.query({ deviceId: id, metric: 'clientCount', fromTs: 0, toTs: Date.now() + 1000 }))
    .length;
}

/** Numbers every message 1 while nothing is in flight, as small device stacks (and a rebooted one) do. */
const fromOne = () => ({ messageIdProvider: new UniqueMessageIdProvider() });

/** Its key committed with a spool row, or with its readings in the store (the direct lane, the default). */
describe.each([
  { way: 'spooled first', directWrites: false },
  { way: 'stored straight', directWrites: true },
])('a QoS 1 message resent after a restart, $way', ({ directWrites }) => {
  it('is stored once when it comes again with its packet id, DUP or not, and a fresh copy of the same bytes is new', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cx-redelivery-'));
    dataDirs.push(dataDir);
    const extra = `ingest: { batchMaxDelayMs: 20, directWrites: ${directWrites} }`;
    app = await startTestApp({ dataDir, extra });
    // Made at first start only; the data folder keeps them.
    const technicianPassword = app.userPasswords.get('kythuat.talai')!;
    let c = await connectDevice(app, id, fromOne());
    await c.publishAsync(topic, payload, { qos: 1 });
    await c.publishAsync(topic, other, { qos: 1 });
    expect(await stored(app)).toBe(2);
    // Both ways were taken: the lane stored these two (and the probes' messages) or is off.
    const lane = app.ingest.stats().directLane;
    if (directWrites) expect(lane?.messages).toBeGreaterThanOrEqual(2);
    else expect(lane).toBeNull();
    // The service goes down with the device still connected: the device never saw those PUBACKs
    // (its connection breaks, no DISCONNECT), so it resends both with their packet ids.
    await app.stop();
    c.end(true);

    app = await startTestApp({ dataDir, extra });
    c = await connectDevice(app, id, fromOne());
    // Marked DUP as MQTT 3.1.1 §4.4 asks; the second as mqtt.js 5 resends, without DUP.
    await c.publishAsync(topic, payload, { qos: 1, dup: true });
    await c.publishAsync(topic, other, { qos: 1 });
    expect(await stored(app)).toBe(2);
    const cookie = await login(app, 'kythuat.talai', technicianPassword);
    const stats = await (await fetch(`${app.apiUrl}/api/ingest/stats`, { headers: { cookie } })).json();
    expect(stats).toMatchObject({ redelivered: 1, duplicatesSkipped: 2 });

    // The same bytes on the same connection, its packet id free again: a new message (a device
    // may repeat itself on purpose).
    await c.publishAsync(topic, payload, { qos: 1 });
    await c.endAsync();
    expect(await stored(app)).toBe(3);
    await app.stop();
    app = undefined;
  }, 120_000);

  it('with its own ts needs no key: resent after a restart, it rewrites the same reading', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cx-redelivery-'));
    dataDirs.push(dataDir);
    const extra = `ingest: { batchMaxDelayMs: 20, directWrites: ${directWrites} }`;
    app = await startTestApp({ dataDir, extra });
    const own = JSON.stringify({ v: 1, ts: Date.now() - 60_000, metrics: { clientCount: 21 } });
    let c = await connectDevice(app, id, fromOne());
    await c.publishAsync(topic, own, { qos: 1 });
    expect(await stored(app)).toBe(1);
    await app.stop();
    c.end(true);

    app = await startTestApp({ dataDir, extra });
    c = await connectDevice(app, id, fromOne());
    await c.publishAsync(topic, own, { qos: 1, dup: true });
    await c.endAsync();
    expect(await stored(app)).toBe(1);
    // Taken again, not skipped: it was never keyed, and its second copy changes nothing.
    expect(app.ingest.stats().duplicatesSkipped).toBe(0);
    await app.stop();
    app = undefined;
  }, 120_000);
});
