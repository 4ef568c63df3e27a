import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillDemoHistory } from '../../services/demo/history.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';

const HOUR = 3_600_000;
let app: TestApp;

beforeAll(async () => {
  // The demo as a newcomer meets it: normal speed, no random flakiness, a day of history, trouble.
  app = await startTestApp({
    simulator: true,
    speed: 1,
    flakyShare: 0,
    extra: 'demo: { historyHours: 24, troubleAtStart: true }',
  });
}, 180_000);

afterAll(() => app?.stop());

describe('the demo starts with a past and a few devices in trouble', () => {
  it('shows down, unreachable and degraded devices within its first minute', async () => {
    const states = () => [...app.directory.all()].map((d) => app.availability.get(d.id)?.state);
    await waitFor(
      () => ['down', 'unreachable', 'degraded'].every((s) => states().includes(s as never)),
      'a down, an unreachable and a degraded device',
      60_000,
      250,
    );
    // And one in planned maintenance, with its reason and end, so that state has something to show.
    const cookie = await login(app, 'kythuat.talai', app.userPasswords.get('kythuat.talai')!);
    const list = await waitFor(
      async () => {
        const r = await (await fetch(`${app.apiUrl}/api/maintenance`, { headers: { cookie } })).json();
        return r.now.length > 0 ? r : undefined;
      },
      'a device in maintenance',
      30_000,
      250,
    );
    expect(list.now[0].maintenance).toMatchObject({ setBy: 'demo', reason: expect.stringContaining('demo') });
    expect(list.now[0].maintenance.untilTs).toBeGreaterThan(Date.now());
  }, 90_000);

  it('has soil readings and a day of intervals at once, through the API', async () => {
    const soil = [...app.directory.all()].filter((d) => d.type.kind === 'soil-sensor');
    expect(soil.length).toBeGreaterThan(0);
    const cookie = await login(app, 'kinhte.talai', app.userPasswords.get('kinhte.talai')!);
    const sensor = soil.find((d) => d.communeId === 'ta-lai')!;
    const detail = await (
      await fetch(`${app.apiUrl}/api/devices/${sensor.id}`, { headers: { cookie } })
    ).json();
    const metrics = detail.latest.map((r: { metric: string }) => r.metric);
    expect(metrics).toContain('soilMoisturePct');
    const now = Date.now();
    const history = await (
      await fetch(`${app.apiUrl}/api/devices/${sensor.id}/history?fromTs=${now - 25 * HOUR}&toTs=${now}`, {
        headers: { cookie },
      })
    ).json();
    const oldest = Math.min(...history.map((i: { startTs: number }) => i.startTs));
    expect(now - oldest).toBeGreaterThan(23 * HOUR);
    const series = await (
      await fetch(`${app.apiUrl}/api/devices/${sensor.id}/series?metric=soilMoisturePct&range=24h`, {
        headers: { cookie },
      })
    ).json();
    // The chart has the day: 1-minute buckets from the back-filled readings, one per report.
    expect(series.points.length).toBeGreaterThan(24);
    expect(now - series.points[0].ts).toBeGreaterThan(20 * HOUR);
  }, 60_000);

  it('writes the history only into an empty data folder', async () => {
    const again = await backfillDemoHistory({
      db: app.db,
      devices: [...app.directory.all()],
      probed: new Set(),
      intervals: { transition: () => expect.fail('no interval may be written twice') },
      store: {
        write: () => expect.fail('no reading may be written twice'),
        rollup: () => expect.fail('nothing to roll up'),
      },
      hours: 24,
      clock: Date.now,
      log: createLogger({ level: 'silent' }),
    });
    expect(again).toBeNull();
  });
});
