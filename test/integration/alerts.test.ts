/**
 * Issue #14 with real parts: the service (aedes, ingest, availability, SQLite), devices over MQTT,
 * a real SMTP server and the Telegram Bot API stand-in. A dead line opens one alert that reaches
 * the technician by Telegram and e-mail in Vietnamese; the acknowledge button pressed in Telegram
 * acknowledges it and the escalation does not fire; a Telegram that hangs delays no e-mail and
 * loses nothing; a restart with messages queued sends each exactly once.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ALERT_COMMUNE, alertCommuneDoc, LINE_DEVICES } from '../fixtures/alert-commune.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';
import { connectDevice, waitFor } from '../setup/helpers.ts';
import { TestSmtpServer } from '../setup/smtp.ts';
import { TelegramStandIn } from '../standins/telegram.ts';

const MIN = 60_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  dataDir: string;
  communesDir: string;
  telegram: TelegramStandIn;
  smtp: TestSmtpServer;
  /** Moves the service's clock forward (escalation and acknowledgement expiry without waiting). */
  skip(ms: number): void;
  start(): Promise<TestApp>;
}

async function rig(): Promise<Rig> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cx-alerts-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const telegram = new TelegramStandIn();
  const apiUrl = await telegram.start();
  cleanups.push(() => telegram.stop());
  const smtp = new TestSmtpServer();
  const smtpPort = await smtp.start();
  cleanups.push(() => smtp.stop());
  const communesDir = join(dataDir, 'communes');
  mkdirSync(communesDir, { recursive: true });
  const doc = alertCommuneDoc();
  writeFileSync(join(communesDir, `${ALERT_COMMUNE}.yaml`), stringify(doc));
  writeFileSync(join(dataDir, 'notify-secrets.json'), JSON.stringify({ 'telegram-bot': telegram.token }));
  chmodSync(join(dataDir, 'notify-secrets.json'), 0o600);
  const extra = stringify({
    alerts: {
      publicBaseUrl: 'https://canhxa.example.vn',
      tickMs: 100,
      escalateAfterMin: 10,
      repeatEveryMin: 60,
      retryBaseMs: 50,
      retryMaxMs: 400,
      // Long enough for an SMTP exchange on a loaded CI box: a send that times out after the
      // server took the mail is retried, and at 800 ms one run got the same e-mail three times.
      timeoutMs: 3000,
      notifiers: [
        {
          name: 'tg',
          kind: 'telegram',
          ratePerMin: 6000,
          config: { apiUrl, tokenRef: 'telegram-bot', pollTimeoutSec: 1 },
        },
        {
          name: 'mail',
          kind: 'email',
          ratePerMin: 6000,
          config: { host: '127.0.0.1', port: smtpPort, from: 'Canh Xã <canhxa@xa.vn>' },
        },
      ],
    },
  });
  let offset = 0;
  return {
    dataDir,
    communesDir,
    telegram,
    smtp,
    skip: (ms) => {
      offset += ms;
    },
    start: async () => {
      const app = await startTestApp({ dataDir, communesDir, extra, clock: () => Date.now() + offset });
      cleanups.push(() => app.stop());
      return app;
    },
  };
}

/**
 * Every device of the line heartbeats every 250 ms (a pump, so a slow tick never makes the line
 * look late) until all are up; returns the line, to be cut.
 */
async function lineUp(app: TestApp): Promise<{ clients: MqttClient[]; pump: NodeJS.Timeout }> {
  const clients = await Promise.all(LINE_DEVICES.map((id) => connectDevice(app, id)));
  const beat = () => {
    for (const [i, c] of clients.entries())
      c.publish(`cx/v1/xa-canh-bao/${LINE_DEVICES[i]}/heartbeat`, JSON.stringify({ v: 1 }), { qos: 1 });
  };
  const pump = setInterval(beat, 250);
  cleanups.push(() => {
    clearInterval(pump);
    return Promise.all(clients.map((c) => c.endAsync(true))).then(() => undefined);
  });
  beat();
  await waitFor(
    () => LINE_DEVICES.every((id) => app.availability.get(id)?.state === 'up'),
    'the line and its devices up',
    45_000,
  );
  return { clients, pump };
}

/** The line dies: nothing behind it is heard any more. Resolves with the alert of this outage. */
async function lineDown(app: TestApp, line: { clients: MqttClient[]; pump: NodeJS.Timeout }) {
  clearInterval(line.pump);
  const cutTs = Date.now();
  await Promise.all(line.clients.map((c) => c.endAsync(true)));
  return waitFor(
    () => app.alerting.engine.alerts.open().find((a) => a.deviceId === 'al-net-1' && a.sinceTs >= cutTs),
    'the line alert',
    45_000,
  );
}

/**
 * Messages about one alert: a line may blip while the devices first connect on a busy box, and
 * that earlier episode has messages of its own.
 */
const tgAbout = (r: Rig, id: number) =>
  r.telegram.sent.filter((m) => m.buttons.some((b) => b.callback_data === `ack:${id}`));
const mailsAbout = (r: Rig, id: number) => r.smtp.mails.filter((m) => m.text.includes(`?ack=${id}`));

async function getJson<T>(app: TestApp, path: string, cookie: string): Promise<T> {
  const res = await fetch(`${app.apiUrl}${path}`, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

// Each test starts the whole service (scrypt for every user and device: seconds on a busy 2-core
// box), so the budget is generous; every wait is for a state.
describe('alerts end to end', { timeout: 120_000 }, () => {
  it('a dead line: one alert, Telegram and a Vietnamese e-mail; the Telegram button acknowledges it and the escalation does not fire', async () => {
    const r = await rig();
    const app = await r.start();
    const alert = await lineDown(app, await lineUp(app));
    await waitFor(
      () => mailsAbout(r, alert.id).length >= 1 && tgAbout(r, alert.id).length >= 2,
      'the mail and two Telegram messages',
      45_000,
    );
    const mail = mailsAbout(r, alert.id)[0]!;
    expect(mail.to).toEqual(['kythuat@xa.vn']);
    expect(mail.subject).toBe('[Canh Xã] Cảnh báo – Khẩn cấp: Đường truyền NVH Suối Cát, Ấp Suối Cát');
    expect(mail.text).toContain('Nơi: Nhà văn hóa ấp Suối Cát, Ấp Suối Cát');
    expect(mail.text).toMatch(/Từ: \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/);
    expect(mail.text).toContain(`https://canhxa.example.vn/#/alerts?ack=${alert.id}`);
    // Behind the line: three devices; the technician reads the Wi-Fi names, never the camera's.
    await waitFor(
      () => app.alerting.engine.alerts.get(alert.id)!.behind.length === 3,
      'the devices behind the line',
    );
    expect(app.alerting.engine.alerts.open().map((a) => a.id)).toEqual([alert.id]);
    const toTech = tgAbout(r, alert.id).find((m) => m.chatId === '111')!;
    expect(toTech.buttons).toEqual([{ text: 'Đã nhận / Acknowledge', callback_data: `ack:${alert.id}` }]);
    expect(
      tgAbout(r, alert.id)
        .map((m) => m.chatId)
        .sort(),
    ).toEqual(['111', '333']);

    const pressId = r.telegram.press('111', `ack:${alert.id}`);
    await waitFor(
      () => app.alerting.engine.alerts.get(alert.id)!.status === 'acknowledged',
      'acknowledged from Telegram',
    );
    expect(app.alerting.engine.alerts.get(alert.id)!.ackedBy).toBe('kythuat.cb');
    await waitFor(
      () => r.telegram.answered.find((a) => a.callbackQueryId === pressId),
      'the button answered',
    );
    expect(r.telegram.answered.find((a) => a.callbackQueryId === pressId)!.text).toBe(
      'Đã ghi nhận: Kỹ thuật Viên nhận xử lý',
    );

    // Twenty minutes later (escalation after ten): the leader is not told.
    r.skip(20 * MIN);
    app.alerting.engine.tick();
    app.alerting.engine.tick();
    const events = app.db.prepare('SELECT event FROM notify_outbox WHERE alert_id = ?').pluck().all(alert.id);
    expect(events).not.toContain('escalate');
    expect(tgAbout(r, alert.id).some((m) => m.chatId === '222')).toBe(false);

    const tech = await login(app, 'kythuat.cb', app.userPasswords.get('kythuat.cb')!);
    const police = await login(app, 'congan.cb', app.userPasswords.get('congan.cb')!);
    type Listed = {
      alerts: Array<{ id: number; status: string; behind: Array<{ id: string }>; behindCount: number }>;
    };
    const seen = await getJson<Listed>(app, '/api/alerts', tech);
    expect(seen.alerts.map((a) => [a.id, a.status])).toEqual([[alert.id, 'acknowledged']]);
    expect(seen.alerts[0]!.behind.map((b) => b.id).sort()).toEqual(['al-wifi-1', 'al-wifi-2']);
    expect(seen.alerts[0]!.behindCount).toBe(3);
    const policeView = await getJson<Listed>(app, '/api/alerts', police);
    expect(policeView.alerts[0]!.behind.map((b) => b.id)).toEqual(['al-cam-1']);
    const audit = app.db
      .prepare("SELECT username FROM audit_log WHERE action = 'alert-acknowledge'")
      .pluck()
      .all();
    expect(audit).toEqual(['kythuat.cb']);
    const health = await getJson<{ notifiers: Array<{ name: string; pending: number; sent: number }> }>(
      app,
      '/api/alerts/notifiers',
      tech,
    );
    expect(health.notifiers.map((n) => n.name)).toEqual(['tg', 'mail']);
    expect(JSON.stringify(health)).not.toContain(r.telegram.token);
  });

  it('without an acknowledgement the next step is told', async () => {
    const r = await rig();
    const app = await r.start();
    const alert = await lineDown(app, await lineUp(app));
    await waitFor(() => tgAbout(r, alert.id).length >= 2, 'the first step told', 45_000);
    r.skip(11 * MIN);
    app.alerting.engine.tick();
    await waitFor(() => tgAbout(r, alert.id).find((m) => m.chatId === '222'), 'the leader told', 45_000);
    expect(app.alerting.engine.alerts.get(alert.id)!.step).toBe(1);
  });

  it('a Telegram that hangs delays no e-mail and loses nothing; its backlog shows until it answers again', async () => {
    const r = await rig();
    r.telegram.mode = 'hang';
    const app = await r.start();
    const alert = await lineDown(app, await lineUp(app));
    await waitFor(() => mailsAbout(r, alert.id).length === 1, 'the e-mail, while Telegram hangs', 45_000);
    const tg = () => app.alerting.dispatcher.status().find((s) => s.name === 'tg')!;
    await waitFor(
      () => tg().failedAttempts > 0 && tg().pending >= 2,
      'Telegram backlog with failures',
      45_000,
    );
    expect(tg().lastError).toMatch(/telegram sendMessage/);
    r.telegram.mode = 'ok';
    await waitFor(() => tg().pending === 0, 'the backlog drained', 45_000);
    expect(
      tgAbout(r, alert.id)
        .map((m) => m.chatId)
        .sort(),
    ).toEqual(['111', '333']);
  });

  it('a restart with messages queued sends each exactly once', async () => {
    const r = await rig();
    r.telegram.mode = 'fail';
    const first = await r.start();
    const alert = await lineDown(first, await lineUp(first));
    await waitFor(() => mailsAbout(r, alert.id).length === 1, 'the e-mail sent before the restart', 45_000);
    const tg = () => first.alerting.dispatcher.status().find((s) => s.name === 'tg')!;
    await waitFor(() => tg().failedAttempts > 0, 'Telegram failing', 45_000);
    await first.stop();
    r.telegram.mode = 'ok';
    const again = await r.start();
    await waitFor(
      () => tgAbout(r, alert.id).length >= 2,
      'the queued Telegram messages after the restart',
      45_000,
    );
    // Let the restarted service run its ticks: nothing more may go out.
    await waitFor(
      () => again.alerting.dispatcher.status().every((s) => s.pending === 0),
      'every outbox empty',
      45_000,
    );
    again.alerting.engine.tick();
    expect(
      tgAbout(r, alert.id)
        .map((m) => m.chatId)
        .sort(),
    ).toEqual(['111', '333']);
    expect(mailsAbout(r, alert.id)).toHaveLength(1);
    expect(again.alerting.engine.alerts.open().map((a) => a.id)).toEqual([alert.id]);
  });
});
