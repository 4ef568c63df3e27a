/**
 * Issue #14 in Chromium: a technician opens Cảnh báo on a phone, acknowledges the line's alert
 * with a note, and the escalation to the leader does not fire (the engine runs its ticks well past
 * the escalation time and the leader's Telegram stand-in receives nothing). The same page shows
 * the technician each notifier's health: Telegram sending, Zalo failing with its backlog and its
 * last error without the access token; a leader's page has no such panel.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ALERT_COMMUNE, alertCommuneDoc, LINE_DEVICES } from '../fixtures/alert-commune.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { launchBrowser, signIn } from '../setup/browser.ts';
import { connectDevice, waitFor } from '../setup/helpers.ts';
import { TelegramStandIn } from '../standins/telegram.ts';
import { ZaloStandIn } from '../standins/zalo.ts';

const MIN = 60_000;
const SHOTS = join(tmpdir(), 'canhxa-alerts-shots');

let app: TestApp;
let browser: Browser;
let dataDir: string;
const telegram = new TelegramStandIn();
const zns = new ZaloStandIn();
let offset = 0;
const clients: MqttClient[] = [];
let pump: NodeJS.Timeout | undefined;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'cx-alerts-e2e-'));
  const communesDir = join(dataDir, 'communes');
  mkdirSync(communesDir);
  writeFileSync(join(communesDir, `${ALERT_COMMUNE}.yaml`), stringify(alertCommuneDoc()));
  const apiUrl = await telegram.start();
  const znsUrl = await zns.start();
  // ZNS refuses everything, echoing the token: its panel shows a backlog and a redacted error.
  zns.mode = 'fail';
  zns.failMessage = `access token ${zns.token} is invalid`;
  const secrets = join(dataDir, 'notify-secrets.json');
  writeFileSync(secrets, JSON.stringify({ 'telegram-bot': telegram.token, 'zalo-oa': zns.token }));
  chmodSync(secrets, 0o600);
  const extra = stringify({
    alerts: {
      publicBaseUrl: 'https://canhxa.example.vn',
      tickMs: 100,
      escalateAfterMin: 10,
      retryBaseMs: 200,
      retryMaxMs: 2000,
      timeoutMs: 2000,
      notifiers: [
        {
          name: 'tg',
          kind: 'telegram',
          ratePerMin: 6000,
          config: { apiUrl, tokenRef: 'telegram-bot', pollTimeoutSec: 1 },
        },
        { name: 'zalo', kind: 'zalo', config: { apiUrl: znsUrl, tokenRef: 'zalo-oa', templateId: '312345' } },
      ],
    },
  });
  app = await startTestApp({ dataDir, communesDir, extra, clock: () => Date.now() + offset });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  clearInterval(pump);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await browser?.close();
  await app?.stop();
  await telegram.stop();
  await zns.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The line and its devices heartbeat until all are up, then the line dies; resolves with its alert. */
async function lineOutage() {
  clients.push(...(await Promise.all(LINE_DEVICES.map((id) => connectDevice(app, id)))));
  const beat = () => {
    for (const [i, c] of clients.entries())
      c.publish(`cx/v1/${ALERT_COMMUNE}/${LINE_DEVICES[i]}/heartbeat`, JSON.stringify({ v: 1 }), { qos: 1 });
  };
  pump = setInterval(beat, 250);
  beat();
  await waitFor(
    () => LINE_DEVICES.every((id) => app.availability.get(id)?.state === 'up'),
    'the line and its devices up',
    45_000,
  );
  clearInterval(pump);
  const cutTs = Date.now();
  await Promise.all(clients.map((c) => c.endAsync(true)));
  return waitFor(
    () => app.alerting.engine.alerts.open().find((a) => a.deviceId === 'al-net-1' && a.sinceTs >= cutTs),
    'the line alert',
    45_000,
  );
}

describe('Cảnh báo in Chromium', { timeout: 180_000 }, () => {
  it('a technician acknowledges with a note on a phone and the escalation does not fire; the notifiers’ health shows', async () => {
    const alert = await lineOutage();
    const about = (chat: string) =>
      telegram.sent.filter(
        (m) => m.chatId === chat && m.buttons.some((b) => b.callback_data === `ack:${alert.id}`),
      );
    await waitFor(() => about('111').length === 1, 'the technician told by Telegram', 45_000);
    const zalo = () => app.alerting.dispatcher.status().find((s) => s.name === 'zalo')!;
    await waitFor(() => zalo().failedAttempts > 0, 'Zalo failing', 45_000);

    const { page, errors } = await signIn(browser, app, 'kythuat.cb', 390);
    await page.goto(`${app.apiUrl}/#/alerts?ack=${alert.id}`);
    const card = page.locator(`li.alert[data-alert-id="${alert.id}"]`);
    await card.waitFor({ timeout: 30_000 });
    expect(await card.getAttribute('data-status')).toBe('firing');
    expect(await card.getAttribute('class')).toContain('marked');

    // The channels: Telegram sent, Zalo waiting with its error, the token never on the page.
    const tg = page.locator('.notifiers-box li[data-notifier="tg"]');
    const zl = page.locator('.notifiers-box li[data-notifier="zalo"]');
    await zl.waitFor({ timeout: 30_000 });
    expect(Number(await zl.getAttribute('data-pending'))).toBeGreaterThanOrEqual(1);
    expect(await zl.locator('.notifier-error code').textContent()).toBe(
      'zalo: -100 access token [redacted] is invalid',
    );
    expect(await tg.locator('.notifier-figures').textContent()).toMatch(
      /0 tin chờ gửi · .* · [1-9]\d* tin đã gửi/,
    );
    expect(await tg.locator('.notifier-error').count()).toBe(0);
    expect(await zl.locator('.notifier-last-sent').textContent()).toBe('Chưa gửi được tin nào.');
    expect(await page.content()).not.toContain(zns.token);

    await card.locator('input.alert-note').fill('Đang ra cột điện kiểm tra cáp quang');
    await card.locator('button[data-action="acknowledge"]').click();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('acknowledged');
    expect(await card.locator('.alert-acked').textContent()).toBe(
      'Đã nhận: kythuat.cb — Đang ra cột điện kiểm tra cáp quang',
    );
    await page.screenshot({ path: join(SHOTS, 'acknowledged-390.png'), fullPage: true });
    const row = app.alerting.engine.alerts.get(alert.id)!;
    expect([row.status, row.ackedBy, row.ackNote]).toEqual([
      'acknowledged',
      'kythuat.cb',
      'Đang ra cột điện kiểm tra cáp quang',
    ]);

    // Twenty minutes on (escalation after ten): wait until the engine has ticked ten times past it
    // and every Telegram message has left; the leader was told nothing.
    const engine = app.alerting.engine;
    let ticks = 0;
    const tick = engine.tick.bind(engine);
    engine.tick = () => {
      ticks++;
      tick();
    };
    offset += 20 * MIN;
    await waitFor(() => ticks >= 10, 'ten engine ticks past the escalation time', 45_000);
    await waitFor(
      () => app.alerting.dispatcher.status().find((s) => s.name === 'tg')!.pending === 0,
      'the Telegram outbox empty',
      45_000,
    );
    expect(telegram.sent.filter((m) => m.chatId === '222')).toEqual([]);
    const events = app.db.prepare('SELECT event FROM notify_outbox WHERE alert_id = ?').pluck().all(alert.id);
    expect(events).not.toContain('escalate');
    expect(engine.alerts.get(alert.id)!.step).toBe(0);
    const audit = app.db
      .prepare("SELECT username FROM audit_log WHERE action = 'alert-acknowledge'")
      .pluck()
      .all();
    expect(audit).toEqual(['kythuat.cb']);
    expect(errors).toEqual([]);
    await page.context().close();

    // A leader reads the alerts but not the channels' health (the API refuses it to them).
    const leader = await signIn(browser, app, 'lanhdao.cb', 1280);
    await leader.page.goto(`${app.apiUrl}/#/alerts`);
    await leader.page.locator(`li.alert[data-alert-id="${alert.id}"]`).waitFor({ timeout: 30_000 });
    expect(await leader.page.locator('.notifiers-box').count()).toBe(0);
    expect(await leader.page.locator('.alerts-status .alert-error').count()).toBe(0);
    expect(leader.errors).toEqual([]);
    await leader.page.context().close();
  });
});
