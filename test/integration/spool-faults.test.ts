import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, login, startTestApp, type TestApp } from '../setup/app.ts';

let app: TestApp;
beforeAll(async () => {
  // The spool's folder is a file: the spool cannot open, as on a broken or read-only disk.
  const dataDir = mkdtempSync(join(tmpdir(), 'cx-spoolfault-'));
  writeFileSync(join(dataDir, 'spool'), 'in the way');
  app = await startTestApp({ dataDir, extra: 'ingest: { batchMaxDelayMs: 20 }' });
});
afterAll(async () => {
  await app?.stop();
});

describe('spool cannot be written', () => {
  it('raises the alarm in the API, keeps running and still stores what arrives', async () => {
    const id = 'tl-wifi-ubnd';
    const c = await connectDevice(app, id);
    const ts = Date.now() - 1000;
    await c.publishAsync(
      `cx/v1/ta-lai/${id}/telemetry`,
      JSON.stringify({ v: 1, ts, metrics: { clientCount: 5 } }),
      { qos: 1 },
    );
    await c.endAsync();
    await app.ingest.flush();
    expect(
      await app.store.query({ deviceId: id, metric: 'clientCount', fromTs: ts, toTs: ts + 1 }),
    ).toHaveLength(1);
    const cookie = await login(app, 'quantri.talai', app.userPasswords.get('quantri.talai')!);
    const stats = await (await fetch(`${app.apiUrl}/api/ingest/stats`, { headers: { cookie } })).json();
    expect(stats.spool).toMatchObject({ ok: false, alarm: true });
    expect(stats.spool.lastError).toMatch(/open/);
    expect(stats.spool.appendFailures).toBeGreaterThan(0);
    expect((await fetch(`${app.apiUrl}/api/health`)).status).toBe(200);
  });
});
