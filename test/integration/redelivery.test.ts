import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDevice, login, startTestApp, type TestApp } from '../setup/app.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cx-redelivery-'));
let app: TestApp | undefined;
afterAll(async () => {
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const id = 'tl-wifi-ubnd';
const topic = `cx/v1/ta-lai/${id}/telemetry`;
// No ts of its own: the service stamps it with its receive time, so a second copy would be a
// second reading.
const payload = JSON.stringify({ v: 1, metrics: { clientCount: 17 } });

async function stored(a: TestApp): Promise<number> {
  await a.ingest.flush();
  return (await a.store.query({ deviceId: id, metric: 'clientCount', fromTs: 0, toTs: Date.now() + 1000 }))
    .length;
}

describe('a QoS 1 message redelivered after a restart', () => {
  it('is stored once when it comes again marked DUP, and a fresh copy of the same bytes is new', async () => {
    app = await startTestApp({ dataDir, extra: 'ingest: { batchMaxDelayMs: 20 }' });
    // Made at first start only; the data folder keeps them.
    const technicianPassword = app.userPasswords.get('kythuat.talai')!;
    let c = await connectDevice(app, id);
    await c.publishAsync(topic, payload, { qos: 1 });
    await c.endAsync();
    expect(await stored(app)).toBe(1);
    await app.stop();

    // The device never saw that PUBACK (the service went down first): after the restart it sends
    // the message again, marked DUP, as MQTT 3.1.1 §4.4 asks.
    app = await startTestApp({ dataDir, extra: 'ingest: { batchMaxDelayMs: 20 }' });
    c = await connectDevice(app, id);
    await c.publishAsync(topic, payload, { qos: 1, dup: true });
    expect(await stored(app)).toBe(1);
    const cookie = await login(app, 'kythuat.talai', technicianPassword);
    const stats = await (await fetch(`${app.apiUrl}/api/ingest/stats`, { headers: { cookie } })).json();
    expect(stats).toMatchObject({ redelivered: 1, duplicatesSkipped: 1 });

    // The same bytes without DUP are a new message (a device may repeat itself on purpose).
    await c.publishAsync(topic, payload, { qos: 1 });
    await c.endAsync();
    expect(await stored(app)).toBe(2);
  });
});
