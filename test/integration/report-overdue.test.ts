/**
 * Issue #14, a report overdue, in the whole service: the commune's monthly report is not in the
 * archive after its run time, so its leader hears it on Telegram (the stand-in), the alerts API
 * shows it to the leader and not to the technician, and the leader resolves it by hand.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { localDate, localMidnight } from '../../services/kpi/periods.ts';
import { ALERT_COMMUNE, alertCommuneDoc } from '../fixtures/alert-commune.ts';
import { login, startTestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';
import { TelegramStandIn } from '../standins/telegram.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('report overdue end to end', { timeout: 120_000 }, () => {
  it('the leader is told of the missing report, sees it in the API (the technician does not) and resolves it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cx-report-overdue-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const telegram = new TelegramStandIn();
    const apiUrl = await telegram.start();
    cleanups.push(() => telegram.stop());
    const communesDir = join(dataDir, 'communes');
    mkdirSync(communesDir, { recursive: true });
    const doc = alertCommuneDoc() as { alerts: { rules: unknown[] } } & Record<string, unknown>;
    doc.kpi = { reports: [{ id: 'bc-thang', period: 'month', dueDay: 25, formats: ['csv'] }] };
    doc.alerts.rules.push({ id: 'bao-cao-tre', kind: 'report-overdue', minutes: 120 });
    writeFileSync(join(communesDir, `${ALERT_COMMUNE}.yaml`), stringify(doc));
    writeFileSync(join(dataDir, 'notify-secrets.json'), JSON.stringify({ 'telegram-bot': telegram.token }));
    chmodSync(join(dataDir, 'notify-secrets.json'), 0o600);
    const extra = stringify({
      alerts: {
        publicBaseUrl: 'https://canhxa.example.vn',
        tickMs: 100,
        notifiers: [
          { name: 'tg', kind: 'telegram', ratePerMin: 6000, config: { apiUrl, tokenRef: 'telegram-bot' } },
        ],
      },
    });
    let offset = 0;
    const app = await startTestApp({ dataDir, communesDir, extra, clock: () => Date.now() + offset });
    cleanups.push(() => app.stop());
    // The commune is watched from now on; this month's report runs on the 1st of next month.
    await waitFor(
      () => app.db.prepare('SELECT 1 FROM state_intervals WHERE commune_id = ?').get(ALERT_COMMUNE),
      'the first state interval',
      45_000,
    );
    const here = localDate(Date.now());
    const nextRun = localMidnight(here.month === 12 ? here.year + 1 : here.year, (here.month % 12) + 1, 1);
    offset = nextRun + 3 * 3_600_000 - Date.now();
    app.alerting.engine.tick();
    const alert = await waitFor(
      () => app.alerting.engine.alerts.open().find((a) => a.kind === 'report-overdue'),
      'the report alert',
      45_000,
    );
    const told = await waitFor(
      () => telegram.sent.find((m) => m.text.includes('bc-thang')),
      'the leader told on Telegram',
      45_000,
    );
    expect(told.chatId).toBe('222');
    expect(told.text).toContain('báo cáo bc-thang chưa có');
    expect(told.text).toContain('https://canhxa.example.vn/#/kpis');
    expect(new Set(telegram.sent.filter((m) => m.text.includes('bc-thang')).map((m) => m.chatId))).toEqual(
      new Set(['222']),
    );

    const leader = await login(app, 'lanhdao.cb', app.userPasswords.get('lanhdao.cb')!);
    const tech = await login(app, 'kythuat.cb', app.userPasswords.get('kythuat.cb')!);
    const list = async (cookie: string) =>
      (
        (await (await fetch(`${app.apiUrl}/api/alerts`, { headers: { cookie } })).json()) as {
          alerts: Array<{ id: number; deviceName: string; type: string; reason: string }>;
        }
      ).alerts;
    // The line's devices, never heard, are down too: only the report alerts are looked at here
    // (last month's, and the one before if the fixture's commissioning date makes it owed).
    const reports = async (cookie: string) => (await list(cookie)).filter((a) => a.type === 'report');
    const open = app.alerting.engine.alerts.open().filter((a) => a.kind === 'report-overdue');
    expect((await reports(leader)).map((a) => a.id).sort()).toEqual(open.map((a) => a.id).sort());
    expect(await reports(leader)).toContainEqual(
      expect.objectContaining({ id: alert.id, deviceName: 'bc-thang', reason: 'report-missing' }),
    );
    expect(await reports(tech)).toEqual([]);
    const resolve = (cookie: string) =>
      fetch(`${app.apiUrl}/api/alerts/resolve`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [alert.id], note: 'Đã lập bằng tay' }),
      }).then((r) => r.json() as Promise<{ done: number[]; refused: number[] }>);
    expect(await resolve(tech)).toEqual({ done: [], refused: [alert.id] });
    expect(await resolve(leader)).toEqual({ done: [alert.id], refused: [] });
    await waitFor(
      () => telegram.sent.find((m) => m.chatId === '222' && m.text.includes('Đã khắc phục')),
      'the recovery told to the leader',
      45_000,
    );
  });
});
