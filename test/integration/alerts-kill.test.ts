/**
 * Issue #14, "nothing lost": the real service process, its line's alert told by Telegram; then
 * Telegram refuses everything while the line recovers and dies again (recovery and new alert
 * queued), the service is killed with SIGKILL, and started again on the same data folder with
 * Telegram answering: every notification reaches the provider, and none that it had confirmed
 * before the kill goes out twice (each outbox row has its own receipt, each provider message
 * belongs to exactly one row).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ALERT_COMMUNE, alertCommuneDoc, LINE_DEVICES } from '../fixtures/alert-commune.ts';
import { connectDevice, waitFor } from '../setup/helpers.ts';
import { readDeviceSecrets, type ServiceProcess, startServiceProcess } from '../setup/service-process.ts';
import { TelegramStandIn } from '../standins/telegram.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cx-alerts-kill-'));
const telegram = new TelegramStandIn();
const running: ServiceProcess[] = [];
afterAll(async () => {
  for (const p of running)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await telegram.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Row {
  id: number;
  alertId: number;
  event: string;
  address: string;
  sentTs: number | null;
  receipt: string | null;
  text: string;
}

/** The outbox as the service left it (read-only, beside the running writer: WAL). */
function outbox(): Row[] {
  const db = new Database(join(dataDir, 'canhxa.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        `SELECT id, alert_id AS alertId, event, address, sent_ts AS sentTs, receipt, message FROM notify_outbox
         WHERE notifier = 'tg' ORDER BY id`,
      )
      .all()
      .map((r) => {
        const { message, ...rest } = r as Omit<Row, 'text'> & { message: string };
        return { ...rest, text: (JSON.parse(message) as { text: string }).text };
      });
  } finally {
    db.close();
  }
}

function lineState(): string | undefined {
  const db = new Database(join(dataDir, 'canhxa.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT state FROM device_status WHERE device_id = 'al-net-1'").pluck().get() as
      | string
      | undefined;
  } finally {
    db.close();
  }
}

/** The line and its devices heartbeat until the line is up, then all fall silent: the line dies. */
async function upThenDown(svc: ServiceProcess): Promise<void> {
  const target = { mqttUrl: svc.mqttUrl, devicePasswords: readDeviceSecrets(dataDir) };
  const clients: MqttClient[] = await Promise.all(LINE_DEVICES.map((id) => connectDevice(target, id)));
  const beat = () => {
    for (const [i, c] of clients.entries())
      c.publish(`cx/v1/${ALERT_COMMUNE}/${LINE_DEVICES[i]}/heartbeat`, JSON.stringify({ v: 1 }), { qos: 1 });
  };
  const pump = setInterval(beat, 250);
  beat();
  try {
    await waitFor(() => lineState() === 'up', 'the line up', 60_000, 100);
  } finally {
    clearInterval(pump);
    await Promise.all(clients.map((c) => c.endAsync(true)));
  }
}

describe('kill -9 with notifications queued', { timeout: 300_000 }, () => {
  it('delivers every queued notification after the restart, none twice that Telegram confirmed', async () => {
    const apiUrl = await telegram.start();
    const communesDir = join(dataDir, 'communes');
    mkdirSync(communesDir);
    writeFileSync(join(communesDir, `${ALERT_COMMUNE}.yaml`), stringify(alertCommuneDoc()));
    writeFileSync(join(dataDir, 'notify-secrets.json'), JSON.stringify({ 'telegram-bot': telegram.token }));
    chmodSync(join(dataDir, 'notify-secrets.json'), 0o600);
    const configFile = join(dataDir, 'canhxa.yaml');
    writeFileSync(
      configFile,
      stringify({
        dataDir,
        communesDir,
        mqtt: { port: 0 },
        api: { port: 0 },
        alerts: {
          tickMs: 200,
          retryBaseMs: 100,
          retryMaxMs: 500,
          // Long enough that a busy box's slow answer is not given up (which would send it again).
          timeoutMs: 15_000,
          notifiers: [
            {
              name: 'tg',
              kind: 'telegram',
              ratePerMin: 6000,
              config: { apiUrl, tokenRef: 'telegram-bot', pollTimeoutSec: 1 },
            },
          ],
        },
      }),
    );

    const first = await startServiceProcess(configFile);
    running.push(first);
    // The line's first outage: its alert told to the technician and the police, and confirmed.
    await upThenDown(first);
    const confirmed = await waitFor(
      () => {
        const rows = outbox().filter((r) => r.event === 'fire');
        return rows.length >= 2 && rows.every((r) => r.receipt !== null) && rows;
      },
      'the first alert sent',
      60_000,
      100,
    );

    // Telegram down: the recovery and the next outage are queued, and only queued.
    telegram.mode = 'fail';
    const failedBefore = telegram.calls.get('sendMessage') ?? 0;
    await upThenDown(first);
    const queued = await waitFor(
      () => {
        const rows = outbox().filter((r) => r.sentTs === null);
        const fires = new Set(
          outbox()
            .filter((r) => r.event === 'fire')
            .map((r) => r.alertId),
        );
        return rows.some((r) => r.event === 'resolve') && fires.size >= 2 && rows.length >= 4 && rows;
      },
      'the recovery and the next alert queued',
      60_000,
      100,
    );
    await waitFor(() => (telegram.calls.get('sendMessage') ?? 0) > failedBefore, 'Telegram refusing');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const sentBeforeKill = outbox().filter((r) => r.receipt !== null);
    const takenBeforeKill = telegram.sent.length;
    expect(sentBeforeKill.map((r) => r.id)).toEqual(expect.arrayContaining(confirmed.map((r) => r.id)));

    telegram.mode = 'ok';
    const second = await startServiceProcess(configFile);
    running.push(second);
    await waitFor(
      () => {
        const rows = outbox();
        return rows.length > 0 && rows.every((r) => r.receipt !== null);
      },
      'every notification sent after the restart',
      90_000,
      100,
    );
    second.child.kill('SIGTERM');
    await second.exited;

    const rows = outbox();
    // Every row queued before the kill was delivered.
    for (const q of queued) expect(rows.find((r) => r.id === q.id)!.receipt).not.toBeNull();
    // What the provider confirmed before the kill kept its receipt: not sent again.
    for (const s of sentBeforeKill) expect(rows.find((r) => r.id === s.id)!.receipt).toBe(s.receipt);
    // Each row has its own provider message.
    const receipts = rows.map((r) => r.receipt);
    expect(new Set(receipts).size).toBe(rows.length);
    const taken = new Set(telegram.sent.map((m) => String(m.messageId)));
    for (const r of receipts) expect(taken.has(r!)).toBe(true);
    // Nothing Telegram had confirmed before the kill went out again after the restart.
    const afterRestart = telegram.sent.slice(takenBeforeKill);
    expect(afterRestart.length).toBeGreaterThan(0);
    // Two outages in the same minute read alike; the acknowledge button names the alert.
    const ackOf = (m: (typeof afterRestart)[number]) =>
      m.buttons.find((b) => b.callback_data.startsWith('ack:'))?.callback_data;
    for (const s of sentBeforeKill)
      expect(
        afterRestart.filter(
          (m) =>
            m.chatId === s.address &&
            m.text === s.text &&
            (ackOf(m) === undefined || ackOf(m) === `ack:${s.alertId}`),
        ),
      ).toEqual([]);
  });
});
