/**
 * A dry plot alerts the economics office through the real service: ChirpStack uplinks from the
 * network server account into the embedded broker, the store, the alert engine's plot-dry rule
 * and the Telegram Bot API stand-in. The plot's sensor reads 19.57 % (under hồ tiêu's 22 %): after
 * the rule's minutes the economics officer gets the alert in Vietnamese, the technicians of the
 * commune's chain and the police nothing; a wetter uplink resolves it and the officer is told.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { COMMUNE, EUI, LSE01, topic, upEvent } from '../fixtures/soil-farm.ts';
import { connectDevice, startTestApp, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';
import { TelegramStandIn } from '../standins/telegram.ts';

const CHAT = { economics: '444', police: '333', technician: '111' };
let tmp: string;
let app: TestApp;
let telegram: TelegramStandIn;
let ns: MqttClient;

/** Dragino LSE01's documented frame with another moisture (per cent). */
function lse01(moisturePct: number): Buffer {
  const b = Buffer.from(LSE01);
  b.writeUInt16BE(Math.round(moisturePct * 100), 4);
  return b;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-soil-alerts-'));
  const dataDir = join(tmp, 'data');
  mkdirSync(join(tmp, 'communes'));
  mkdirSync(dataDir);
  telegram = new TelegramStandIn();
  const apiUrl = await telegram.start();
  const roles: Record<string, keyof typeof CHAT> = {
    'kinhte.vuon': 'economics',
    'congan.vuon': 'police',
    'kythuat.vuon': 'technician',
  };
  const doc = {
    ...COMMUNE,
    // Personal data that no message may carry.
    plots: (COMMUNE.plots as Array<Record<string, unknown>>).map((p, i) =>
      i === 0 ? { ...p, household: { name: 'Hộ bà Trần Thị Điều', phone: '0987654321' } } : p,
    ),
    users: (COMMUNE.users as Array<{ username: string }>).map((u) => ({
      ...u,
      contact: { telegramChatId: CHAT[roles[u.username]!] },
    })),
    alerts: {
      // Three seconds, so the test waits for the rule's duration and not much more.
      rules: [{ id: 'vuon-kho', kind: 'plot-dry', minutes: 0.05 }],
      notify: [{ roles: ['technician', 'police'] }],
    },
  };
  writeFileSync(join(tmp, 'communes', 'xa-vuon.yaml'), stringify(doc));
  writeFileSync(join(dataDir, 'notify-secrets.json'), JSON.stringify({ 'telegram-bot': telegram.token }));
  chmodSync(join(dataDir, 'notify-secrets.json'), 0o600);
  const extra = stringify({
    ingest: { batchMaxDelayMs: 5 },
    alerts: {
      tickMs: 100,
      retryBaseMs: 50,
      notifiers: [
        {
          name: 'tg',
          kind: 'telegram',
          ratePerMin: 6000,
          config: { apiUrl, tokenRef: 'telegram-bot', pollTimeoutSec: 1 },
        },
      ],
    },
  });
  app = await startTestApp({ communesDir: join(tmp, 'communes'), dataDir, extra });
  ns = await connectDevice(app, 'gw');
}, 90_000);

afterAll(async () => {
  await ns?.endAsync(true).catch(() => {});
  await app?.stop();
  await telegram?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const about = (chat: string) =>
  telegram.sent.filter((m) => m.chatId === chat && m.text.includes('Vườn tiêu ấp 1'));

describe('a dry plot alerts the economics office', () => {
  it('opens after the rule’s minutes for economics only, and recovers when the plot is moist again', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const up = (fCnt: number, pct: number, ts: number) =>
      ns.publishAsync(
        topic(EUI.a),
        JSON.stringify(upEvent(EUI.a, { fCnt, fPort: 2, bytes: lse01(pct), ts })),
        {
          qos: 1,
        },
      );
    await up(1, 19.57, t0);
    const fired = await waitFor(() => about(CHAT.economics)[0], 'the economics officer told', 60_000, 50);
    expect(Date.now() - t0, 'not before the rule’s 3 s').toBeGreaterThanOrEqual(3000);
    expect(fired.text).toContain('Vườn quá khô quá 0,05 phút');
    // The plot's mean, rounded as the farms page shows it.
    expect(fired.text).toContain('Nguyên nhân: Vườn tiêu ấp 1: độ ẩm đất 19,6 %, dưới ngưỡng quá khô 22 %');
    const [alert] = app.alerting.engine.alerts.open();
    expect(alert).toMatchObject({ kind: 'plot-dry', deviceId: 's-tieu', sinceTs: t0, reason: 'plot-dry' });

    await up(2, 30, t0 + 1000);
    const resolved = await waitFor(
      () => about(CHAT.economics).find((m) => m.text.startsWith('[Canh Xã] Đã khắc phục')),
      'the recovery told',
      60_000,
      50,
    );
    expect(resolved.text).toContain('Vườn tiêu ấp 1');
    expect(app.alerting.engine.alerts.open()).toHaveLength(0);
    // The commune's chain (technicians, police) is not told about the plot.
    expect(about(CHAT.technician)).toEqual([]);
    expect(about(CHAT.police)).toEqual([]);
    // Nor does any message name the farm household, to economics or anyone.
    expect(telegram.sent.filter((m) => /Trần Thị Điều|0987654321/.test(m.text))).toEqual([]);
  }, 120_000);
});
