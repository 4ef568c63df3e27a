/**
 * Maintenance windows, suppression, quiet hours and the daily digest (issue #14 item 2) on the
 * real alert engine over an in-memory SQLite with a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { WindowScheduleSchema } from '../../../config/schema/quiet-windows.ts';
import { type OpenAlertClock, resumed, timedAction } from '../../../services/alerts/lifecycle.ts';
import { activeAt, nextOccurrence, quietUntil } from '../../../services/alerts/windows/occurrences.ts';
import { alertSetup, T0 } from './fixture.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const vn = (iso: string) => Date.parse(`${iso}+07:00`);

describe('window occurrences in Vietnam time', () => {
  const tuesdayNight = WindowScheduleSchema.parse({
    kind: 'weekly',
    days: ['tue'],
    at: '22:00',
    durationMin: 240,
  });

  it('every Tuesday 22:00–02:00 holds across midnight into Wednesday, and not on Monday', () => {
    expect(activeAt(tuesdayNight, vn('2026-11-24T21:59'))).toBeUndefined();
    expect(activeAt(tuesdayNight, vn('2026-11-24T22:00'))).toEqual({
      startTs: vn('2026-11-24T22:00'),
      untilTs: vn('2026-11-25T02:00'),
    });
    expect(activeAt(tuesdayNight, vn('2026-11-25T01:59'))?.startTs).toBe(vn('2026-11-24T22:00'));
    expect(activeAt(tuesdayNight, vn('2026-11-25T02:00'))).toBeUndefined();
    expect(activeAt(tuesdayNight, vn('2026-11-23T22:30'))).toBeUndefined();
    // From Wednesday morning the next one is the Tuesday after.
    expect(nextOccurrence(tuesdayNight, vn('2026-11-25T08:00'))?.startTs).toBe(vn('2026-12-01T22:00'));
  });

  it('daily and once', () => {
    const daily = WindowScheduleSchema.parse({ kind: 'daily', at: '01:30', durationMin: 30 });
    expect(activeAt(daily, vn('2026-11-23T01:45'))?.untilTs).toBe(vn('2026-11-23T02:00'));
    expect(nextOccurrence(daily, vn('2026-11-23T02:00'))?.startTs).toBe(vn('2026-11-24T01:30'));
    const once = WindowScheduleSchema.parse({ kind: 'once', startTs: T0, untilTs: T0 + HOUR });
    expect(activeAt(once, T0 + HOUR - 1)).toEqual({ startTs: T0, untilTs: T0 + HOUR });
    expect(nextOccurrence(once, T0 + HOUR)).toBeUndefined();
  });

  it('refuses a schedule a person could not mean, naming the field', () => {
    const bad = [
      { kind: 'weekly', days: [], at: '22:00', durationMin: 60 },
      { kind: 'daily', at: '24:30', durationMin: 60 },
      { kind: 'daily', at: '22:00', durationMin: 2000 },
      { kind: 'once', startTs: T0, untilTs: T0 },
      { kind: 'monthly', at: '22:00', durationMin: 60 },
    ];
    for (const s of bad) expect(WindowScheduleSchema.safeParse(s).success, JSON.stringify(s)).toBe(false);
  });
});

describe('quiet hours', () => {
  const q = {
    start: '22:00',
    end: '06:00',
    exemptSeverities: ['critical' as const],
    exemptDeviceTypes: ['camera'],
  };
  const warning = { severity: 'warning', deviceType: 'wifi-ap' };
  it('hold a warning until 06:00 the next morning, or the same morning after midnight', () => {
    expect(quietUntil(q, warning, vn('2026-11-23T23:10'))).toBe(vn('2026-11-24T06:00'));
    expect(quietUntil(q, warning, vn('2026-11-24T05:59'))).toBe(vn('2026-11-24T06:00'));
    expect(quietUntil(q, warning, vn('2026-11-24T06:00'))).toBeNull();
    expect(quietUntil(q, warning, vn('2026-11-24T21:59'))).toBeNull();
  });
  it('never hold a critical alert or an exempt device type', () => {
    expect(quietUntil(q, { severity: 'critical', deviceType: 'uplink' }, vn('2026-11-23T23:10'))).toBeNull();
    expect(quietUntil(q, { severity: 'warning', deviceType: 'camera' }, vn('2026-11-23T23:10'))).toBeNull();
  });
});

describe('suppressed time never uses up escalation steps (pure lifecycle, fake clock)', () => {
  const T = { escalateAfterMs: 30 * MIN, repeatEveryMs: 60 * MIN, maxRepeats: 3 };
  it('a 60-minute suppression 20 minutes into an alert moves its escalation from 30 to 90 minutes', () => {
    let a: OpenAlertClock = {
      status: 'firing',
      step: 0,
      steppedTs: 0,
      notifiedTs: 0,
      repeats: 0,
      ackUntilTs: null,
    };
    expect(timedAction(a, 2, T, 20 * MIN)).toBeNull();
    a = { ...a, suppressedSinceTs: 20 * MIN };
    // While suppressed nothing is due, however long it lasts.
    for (const t of [30, 45, 79]) expect(timedAction(a, 2, T, t * MIN)).toBeNull();
    a = { ...a, ...resumed(a, 80 * MIN) };
    expect(a.steppedTs).toBe(60 * MIN);
    expect(timedAction(a, 2, T, 89 * MIN)).toBeNull();
    expect(timedAction(a, 2, T, 90 * MIN)).toBe('escalate');
  });
  it('repeats and an expired acknowledgement wait out a suppression too', () => {
    const last = {
      status: 'firing',
      step: 1,
      steppedTs: 0,
      notifiedTs: 0,
      repeats: 0,
      ackUntilTs: null,
    } as const;
    expect(timedAction({ ...last, suppressedSinceTs: 1 }, 2, T, 10 * HOUR)).toBeNull();
    const acked = { ...last, status: 'acknowledged', ackUntilTs: HOUR, suppressedSinceTs: 1 } as const;
    expect(timedAction(acked, 2, T, 2 * HOUR)).toBeNull();
    expect(timedAction({ ...acked, suppressedSinceTs: null }, 2, T, 2 * HOUR)).toBe('refire');
  });
});

describe('alert engine with maintenance windows', () => {
  it('a window that starts while an alert fires suppresses its repeats and escalation; the clock resumes after it; the resolution is announced', () => {
    const s = alertSetup();
    s.set('wifi-1', 'down', 'last-will');
    s.advance(10 * MIN);
    const [a] = s.engine.alerts.open();
    expect(a!.deviceId).toBe('wifi-1');
    s.advance(10 * MIN); // 10 of the 15 minutes before escalation used
    s.alerting.windows.store.add({
      communeId: 'xa-thu',
      configId: null,
      scope: { kind: 'site', id: 'nvh-1' },
      role: 'technician',
      reason: 'Thay bộ chuyển mạch',
      schedule: { kind: 'once', startTs: s.now(), untilTs: s.now() + 2 * HOUR },
      createdBy: 'kythuat.a',
      createdTs: s.now(),
    });
    s.alerting.housekeep();
    // Its occurrence became planned maintenance of the site's devices the technician sees: no camera.
    const plans = s.db
      .prepare('SELECT device_id AS d, set_by AS by FROM maintenance_plans ORDER BY device_id')
      .all();
    expect(plans).toEqual([
      { d: 'net-1', by: 'window:1' },
      { d: 'wifi-1', by: 'window:1' },
      { d: 'wifi-2', by: 'window:1' },
    ]);
    s.advance(0); // the engine's next tick sees the window
    s.alerting.housekeep(); // a second look (or a restart) starts nothing twice
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM maintenance_plans').get()).toEqual({ n: 3 });
    // Another device going down inside the window opens nothing.
    s.set('wifi-2', 'down', 'last-will');
    // (The soil sensor's own silence, outside the window, is not this test's business.)
    const mine = () => s.outbox().filter((r) => r.alertId === a!.id);
    const before = mine().length;
    for (let i = 0; i < 11; i++) s.advance(10 * MIN); // 110 minutes inside the window
    expect(mine().length).toBe(before);
    expect(s.engine.alerts.get(a!.id)!.suppressedSinceTs).toBe(T0 + 20 * MIN);
    expect(
      s.engine.alerts
        .open()
        .filter((x) => x.deviceId.startsWith('wifi'))
        .map((x) => x.deviceId),
    ).toEqual(['wifi-1']);
    s.set('wifi-2', 'up', 'heartbeat');
    s.advance(10 * MIN); // the window ends at T0 + 140 min: the clock resumes with 5 minutes left
    expect(s.engine.alerts.get(a!.id)!.suppressedSinceTs).toBeNull();
    s.advance(4 * MIN);
    expect(mine().filter((r) => r.event === 'escalate')).toEqual([]);
    s.advance(1 * MIN);
    expect(
      mine()
        .filter((r) => r.event === 'escalate')
        .map((r) => r.username),
    ).toEqual(['lanhdao.b']);
    s.set('wifi-1', 'up', 'heartbeat');
    s.advance(1000);
    expect(s.outbox().filter((r) => r.event === 'resolve' && r.alertId === a!.id).length).toBeGreaterThan(0);
  });

  it('an alert of a device put in maintenance stays open and silent, and is resolved (announced) when it is seen up', () => {
    const s = alertSetup();
    s.set('wifi-1', 'down', 'last-will');
    s.advance(10 * MIN);
    const [a] = s.engine.alerts.open();
    s.set('wifi-1', 'maintenance', 'maintenance');
    s.advance(0);
    const mine = () => s.outbox().filter((r) => r.alertId === a!.id);
    const before = mine().length;
    for (let i = 0; i < 12; i++) s.advance(30 * MIN);
    expect(mine().length).toBe(before);
    expect(s.engine.alerts.get(a!.id)!.status).toBe('firing');
    s.set('wifi-1', 'unknown', 'awaiting-evidence');
    s.advance(1000);
    s.set('wifi-1', 'up', 'heartbeat');
    s.advance(1000);
    expect(s.engine.alerts.get(a!.id)!.status).toBe('resolved');
    expect(
      mine()
        .slice(before)
        .map((r) => `${r.notifier}:${r.event}:${r.username}`),
    ).toEqual(['tg:resolve:kythuat.a', 'tg:resolve:camera.e', 'hook:resolve:null']);
  });

  it('quiet hours hold a warning for the technician until 06:00, and let a critical line alert through', () => {
    const night = vn('2026-11-23T23:00');
    const s = alertSetup({
      now: night,
      communeAlerts: { quietHours: { start: '22:00', end: '06:00' } },
    });
    s.set('wifi-1', 'down', 'last-will');
    s.advance(10 * MIN);
    s.uplinkDown();
    s.advance(5 * MIN);
    const rows = s.db
      .prepare(
        `SELECT username, event, held_until_ts AS held, alert_id AS alertId FROM notify_outbox WHERE notifier = 'tg'`,
      )
      .all() as Array<{ username: string; held: number | null; alertId: number }>;
    const open = s.engine.alerts.open();
    const wifi = open.find((a) => a.deviceId === 'wifi-1');
    const line = open.find((a) => a.deviceId !== 'wifi-1');
    // Each alert has its messages (none missing), and every one of them is held, or none is.
    const heldOf = (id: number) => [...new Set(rows.filter((r) => r.alertId === id).map((r) => r.held))];
    expect(heldOf(wifi!.id)).toEqual([vn('2026-11-24T06:00')]);
    expect(heldOf(line!.id)).toEqual([null]);
    // The lane's head skips the held row and serves the critical one; at 06:00 the held row comes first.
    const out = s.alerting.dispatcher.outbox;
    expect(out.next('tg', night + 15 * MIN)!.alertId).toBe(line!.id);
    expect(out.next('tg', vn('2026-11-24T06:00'))!.alertId).toBe(wifi!.id);
  });
});

describe('daily digest', () => {
  it("queues yesterday by hamlet at 07:00 once per user and day, in each user's language", () => {
    const s = alertSetup({ communeAlerts: { digest: { roles: ['technician', 'leader'] } } });
    s.set('wifi-1', 'down', 'last-will');
    s.advance(10 * MIN);
    const [a] = s.engine.alerts.open();
    s.engine.acknowledge(a!.id, 'kythuat.a', 'đang đến', s.now() + 4 * HOUR);
    s.set('wifi-1', 'up', 'heartbeat');
    s.advance(1000);
    s.set('wifi-2', 'down', 'last-will');
    s.advance(10 * MIN);
    // The next day, 06:59 is too early; 07:00 queues; another tick queues nothing more.
    const digests = () => s.outbox().filter((r) => r.event === 'digest');
    const at = (iso: string) => {
      s.advance(vn(iso) - s.now());
      s.alerting.housekeep();
    };
    at('2026-11-24T06:59');
    expect(digests()).toEqual([]);
    at('2026-11-24T07:00');
    at('2026-11-24T07:05');
    // Telegram and e-mail for the technician (camera.e too: a technician), Telegram for the leader.
    expect(
      digests()
        .map((r) => `${r.notifier}:${r.username}`)
        .sort(),
    ).toEqual(['tg:camera.e', 'tg:kythuat.a', 'tg:lanhdao.b']);
    const vi = digests().find((r) => r.username === 'kythuat.a')!.text;
    expect(vi).toContain('Tóm tắt cảnh báo ngày 23/11/2026');
    expect(vi).toContain('Mở mới: 2 · Đã nhận: 1 · Đã khắc phục: 1 · Còn mở cuối ngày: 1');
    expect(vi).toContain('Ấp 1: mở mới 2, đã nhận 1, đã khắc phục 1, còn mở 1');
    expect(digests().find((r) => r.username === 'lanhdao.b')!.text).toContain('Alert summary for 23/11/2026');
    expect(s.outbox().filter((r) => r.event === 'digest' && r.alertId !== 0)).toEqual([]);
  });

  it('is not sent through a notifier limited to critical alerts (Zalo ZNS, paid per message)', () => {
    const s = alertSetup({
      communeAlerts: { digest: { roles: ['technician', 'leader'] } },
      alerts: {
        notifiers: [
          { name: 'tg', kind: 'telegram', config: { apiUrl: 'http://127.0.0.1:9', tokenRef: 'tg' } },
          {
            name: 'zns',
            kind: 'zalo',
            config: { apiUrl: 'http://127.0.0.1:9', tokenRef: 'zalo', templateId: '1' },
          },
        ],
      },
      secrets: { zalo: 'zalo-token' },
    });
    s.set('wifi-1', 'down', 'last-will');
    s.advance(10 * MIN);
    s.advance(vn('2026-11-24T07:00') - s.now());
    s.alerting.housekeep();
    const digests = s.outbox().filter((r) => r.event === 'digest');
    expect(digests.length).toBeGreaterThan(0);
    expect(digests.filter((r) => r.notifier === 'zns')).toEqual([]);
  });
});
