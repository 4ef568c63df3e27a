/**
 * Alert storm (issue #14): 1,000 devices behind 20 internet lines, one line a hamlet (alerts of one
 * hamlet within alerts.hamletGroupSec go out as one message), every line down at once. Prints
 * the alerts opened and the Telegram messages sent (aim: one per line), the time from the outage
 * being logged to the first message taken by the Bot API stand-in, and the engine's CPU per tick.
 * Real parts: SQLite file, the interval log, the alert engine, the dispatcher and its outbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/load.ts';
import { ServiceConfigSchema } from '../../config/schema/service.ts';
import { Alerting } from '../../services/alerts/alerting.ts';
import { AuditLog } from '../../services/api/audit.ts';
import { IntervalLog } from '../../services/availability/interval-log.ts';
import { DeviceDirectory } from '../../services/inventory/device-directory.ts';
import { EventBus } from '../../services/shared/bus.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { openDb } from '../../services/store/db.ts';
import { buildCommune } from '../fixtures/mini-commune.ts';
import { TelegramStandIn } from '../standins/telegram.ts';
import type { Figure } from './harness.ts';

const LINES = 20;
const PER_LINE = 50;

export async function benchAlertStorm(): Promise<{ figures: Figure[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'cx-storm-'));
  const telegram = new TelegramStandIn();
  const apiUrl = await telegram.start();
  try {
    const hamlets = Array.from({ length: LINES }, (_, i) => ({ id: `h-${i}`, name: `Ấp ${i}` }));
    const sites = Array.from({ length: LINES }, (_, i) => ({
      id: `s-${i}`,
      name: `Điểm ${i}`,
      kind: 'key-point',
      hamlet: `h-${i}`,
      uplink: `line-${i}`,
    }));
    const devices = sites.flatMap((s, i) => [
      { id: `line-${i}`, type: 'uplink', name: `Đường truyền ${i}`, site: s.id },
      ...Array.from({ length: PER_LINE }, (_, j) => ({
        id: `ap-${i}-${j}`,
        type: 'wifi-ap',
        name: `Wi-Fi ${i}.${j}`,
        site: s.id,
      })),
    ]);
    const commune = buildCommune({
      hamlets,
      sites,
      devices,
      users: [
        {
          username: 'kythuat.storm',
          name: 'Kỹ thuật',
          role: 'technician',
          contact: { telegramChatId: '42' },
        },
      ],
      extra: {
        alerts: {
          rules: [
            { id: 'line-down', kind: 'down-for', minutes: 0, deviceTypes: ['uplink'], severity: 'critical' },
            { id: 'ap-down', kind: 'down-for', minutes: 0, deviceTypes: ['wifi-ap'] },
          ],
        },
      },
    });
    const service = ServiceConfigSchema.parse({
      alerts: {
        tickMs: 50,
        notifiers: [
          {
            name: 'tg',
            kind: 'telegram',
            ratePerMin: 10_000,
            config: { apiUrl, tokenRef: 'tg', pollTimeoutSec: 1 },
          },
        ],
      },
    });
    const config = {
      service,
      communes: [commune],
      notifierSecrets: { tg: telegram.token },
    } as unknown as Config;
    const db = openDb(join(dir, 'storm.sqlite'));
    const intervals = new IntervalLog(db);
    const directory = new DeviceDirectory({ communes: [commune] });
    const set = (
      id: string,
      state: 'up' | 'down' | 'unreachable',
      reason: string,
      params: Record<string, string>,
      ts: number,
    ) =>
      intervals.transition({ deviceId: id, communeId: 'xa-thu', state, reason, params, ts, lastHeardTs: ts });
    const t0 = Date.now();
    for (const d of devices) set(d.id, 'up', 'heartbeat', {}, t0);
    const alerting = new Alerting({
      config,
      db,
      directory,
      intervals,
      bus: new EventBus(),
      audit: new AuditLog(db),
      clock: Date.now,
      log: createLogger({ level: 'silent' }),
    });
    alerting.start();
    const downTs = Date.now();
    // What the availability engine writes when every line dies: the line down, its devices unreachable.
    db.transaction(() => {
      for (let i = 0; i < LINES; i++) {
        set(`line-${i}`, 'down', 'heartbeat-late', { seconds: '90' }, downTs);
        for (let j = 0; j < PER_LINE; j++)
          set(
            `ap-${i}-${j}`,
            'unreachable',
            'upstream-down',
            { deviceId: `line-${i}`, name: `Đường truyền ${i}`, type: 'uplink' },
            downTs,
          );
      }
    })();
    const cpu0 = process.cpuUsage();
    const tickStart = performance.now();
    alerting.engine.tick();
    const tickMs = performance.now() - tickStart;
    const cpu = process.cpuUsage(cpu0);
    while (telegram.sent.length === 0 && Date.now() - downTs < 30_000)
      await new Promise((r) => setTimeout(r, 5));
    const firstMs = Date.now() - downTs;
    while (telegram.sent.length < LINES && Date.now() - downTs < 60_000)
      await new Promise((r) => setTimeout(r, 20));
    // A few more ticks: nothing more may go out.
    for (let k = 0; k < 5; k++) alerting.engine.tick();
    await new Promise((r) => setTimeout(r, 300));
    const opened = alerting.engine.alerts.open().length;
    const sent = telegram.sent.length;
    await alerting.stop();
    db.close();
    const figures: Figure[] = [
      {
        scenario: 'alerts',
        name: `storm: alerts opened (${LINES} lines, ${LINES * PER_LINE} devices)`,
        value: String(opened),
        note: `aim ${LINES}`,
      },
      {
        scenario: 'alerts',
        name: 'storm: Telegram messages sent',
        value: String(sent),
        note: `aim ${LINES}`,
      },
      { scenario: 'alerts', name: 'storm: outage logged → first message (ms)', value: String(firstMs) },
      {
        scenario: 'alerts',
        name: 'storm: engine tick that opened them (ms wall / CPU)',
        value: `${tickMs.toFixed(0)} / ${((cpu.user + cpu.system) / 1000).toFixed(0)}`,
      },
    ];
    for (const f of figures) console.log(`  ${f.name}: ${f.value}${f.note ? ` (${f.note})` : ''}`);
    return { figures };
  } finally {
    await telegram.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAlertStorm();
