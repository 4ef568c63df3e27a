import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../setup/helpers.ts';
import { TelegramStandIn } from '../../standins/telegram.ts';
import { alertSetup } from './fixture.ts';

const MIN = 60_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The alert fixture with its Telegram notifier pointed at a stand-in and the dispatcher running. */
async function rig(hamletGroupSec?: number) {
  const tg = new TelegramStandIn();
  const apiUrl = await tg.start();
  cleanups.push(() => tg.stop());
  const s = alertSetup({
    alerts: {
      ...(hamletGroupSec !== undefined ? { hamletGroupSec } : {}),
      notifiers: [{ name: 'tg', kind: 'telegram', ratePerMin: 6000, config: { apiUrl, tokenRef: 'tg' } }],
    },
    secrets: { tg: tg.token },
  });
  s.alerting.dispatcher.start();
  cleanups.push(() => s.alerting.dispatcher.stop());
  /** Moves the clock a second per look until `probe` holds (the dispatcher sends on its own timer). */
  const until = <T>(probe: () => T, what: string) =>
    waitFor(
      () => {
        s.advance(1000);
        return probe();
      },
      what,
      20_000,
    );
  return { s, tg, until, to: (chat: string) => tg.sent.filter((m) => m.chatId === chat) };
}

describe('grouping by hamlet', () => {
  it('devices of one hamlet going down together: N alerts, one message per person listing them', async () => {
    const { s, until, to } = await rig();
    s.set('wifi-1', 'down', 'last-will');
    s.set('cam-1', 'down', 'last-will');
    s.advance(30_000);
    s.set('wifi-2', 'down', 'heartbeat-late', { seconds: '90' });
    // wifi-1 and the camera come due at 10 min; wifi-2 half a minute later: the first wait for it.
    s.advance(10 * MIN - 30_000);
    expect(s.engine.alerts.open()).toHaveLength(2);
    expect(s.outbox().filter((r) => r.username === 'kythuat.a')).toHaveLength(1);
    const holds = s.db
      .prepare("SELECT hold_until_ts FROM notify_outbox WHERE username = 'kythuat.a'")
      .pluck()
      .all();
    expect(holds).toEqual([s.now() + 30_000]);
    await until(() => to('111').length === 1 && to('333').length === 1, 'the grouped messages');
    expect(s.engine.alerts.open()).toHaveLength(3);
    const tech = to('111')[0]!;
    expect(tech.text.split('\n')[0]).toBe('[Canh Xã] Cảnh báo: 2 thiết bị mất kết nối ở Ấp 1');
    expect(tech.text).toContain('• Wi-Fi NVH 1 (');
    expect(tech.text).toContain('• Wi-Fi NVH 2 (');
    // The technician never reads the camera; the police see cameras only, a group of one.
    expect(tech.text).not.toContain('Camera');
    expect(tech.text).toContain('https://canhxa.example.vn/#/alerts');
    expect(tech.buttons).toEqual([]);
    expect(to('333')[0]!.text).toMatch(/^\[Canh Xã\] Cảnh báo – Cảnh báo: Camera cổng NVH, Ấp 1/);
    // Every row of the group carries the one receipt: nothing left to send, nothing sent twice.
    await until(() => s.alerting.dispatcher.status()[0]!.pending === 0, 'the outbox empty');
    for (let i = 0; i < 5; i++) s.advance(1000);
    expect(to('111')).toHaveLength(1);
    expect(to('333')).toHaveLength(1);
    // The camera maintainer (a technician) reads all three in one.
    expect(to('555')).toHaveLength(1);
    expect(to('555')[0]!.text.split('\n')[0]).toBe('[Canh Xã] Cảnh báo: 3 thiết bị mất kết nối ở Ấp 1');
    expect(to('555')[0]!.text).toContain(
      '• Camera cổng NVH (Camera an ninh), Nhà văn hóa ấp 1, từ 23/11/2026 08:00',
    );
  });

  it('a device down alone in its hamlet is told at once, with its acknowledge button', async () => {
    const { s, until, to } = await rig();
    s.set('wifi-1', 'down', 'last-will');
    s.advance(10 * MIN);
    const [a] = s.engine.alerts.open();
    await until(() => to('111').length === 1, 'the message');
    expect(to('111')[0]!.buttons).toEqual([{ text: 'Đã nhận / Acknowledge', callback_data: `ack:${a!.id}` }]);
  });

  it('with hamletGroupSec 0 each alert is told on its own', async () => {
    const { s, until, to } = await rig(0);
    s.set('wifi-1', 'down', 'last-will');
    s.set('wifi-2', 'down', 'last-will');
    s.advance(10 * MIN);
    await until(() => to('111').length === 2, 'two messages');
    expect(to('111').every((m) => m.buttons.length === 1)).toBe(true);
  });

  it('a backlog never merges separate outages of a hamlet: only messages held together leave together', async () => {
    const { s, tg, until, to } = await rig();
    tg.mode = 'fail';
    s.set('wifi-1', 'down', 'last-will');
    s.advance(10 * MIN);
    s.set('wifi-2', 'down', 'last-will');
    s.advance(10 * MIN);
    expect(s.engine.alerts.open()).toHaveLength(2);
    await until(() => s.alerting.dispatcher.status()[0]!.failedAttempts > 0, 'Telegram failing');
    tg.mode = 'ok';
    await until(() => s.alerting.dispatcher.status()[0]!.pending === 0, 'the backlog sent');
    const fires = to('111').filter((m) => m.buttons.length > 0);
    expect(fires.map((m) => m.buttons[0]!.callback_data).sort()).toEqual(
      s.engine.alerts
        .open()
        .map((a) => `ack:${a.id}`)
        .sort(),
    );
    expect(to('111').some((m) => m.text.includes('thiết bị mất kết nối ở'))).toBe(false);
  });
});
