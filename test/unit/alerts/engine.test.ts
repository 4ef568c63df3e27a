import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../../services/store/db.ts';
import { alertSetup, T0 } from './fixture.ts';

const MIN = 60_000;

describe('alert engine', () => {
  it('opens one alert for a dead uplink listing the devices behind it, and none for them', () => {
    const s = alertSetup();
    s.uplinkDown();
    s.advance(4 * MIN);
    expect(s.engine.alerts.open()).toEqual([]);
    s.advance(1 * MIN);
    s.advance(20 * MIN); // well past the devices' own 10 minutes: still no alert of their own
    const open = s.engine.alerts.open();
    expect(open.map((a) => [a.ruleId, a.deviceId, a.severity])).toEqual([
      ['uplink-down', 'net-1', 'critical'],
    ]);
    expect(open[0]!.behind.sort()).toEqual(['cam-1', 'wifi-1', 'wifi-2']);
    const fired = s.outbox().filter((r) => r.event === 'fire');
    // The technicians and the police (an uplink is theirs to see); economics never sees an uplink.
    expect(fired.map((r) => `${r.notifier}:${r.username}`).sort()).toEqual([
      'hook:null',
      'tg:camera.e',
      'tg:congan.c',
      'tg:kythuat.a',
    ]);
    const text = fired.find((r) => r.username === 'kythuat.a')!.text;
    expect(text).toContain('Đường truyền NVH');
    expect(text).toContain('Nhà văn hóa ấp 1, Ấp 1');
    expect(text).toContain('Từ: 23/11/2026 08:00');
    // A technician is told a camera is cut off, never its name; the police see it named.
    expect(text).toContain('3 thiết bị phía sau bị ảnh hưởng: Wi-Fi NVH 1, Wi-Fi NVH 2 (+1)');
    const police = fired.find((r) => r.username === 'congan.c')!.text;
    expect(police).toContain('3 thiết bị phía sau bị ảnh hưởng: Camera cổng NVH (+2)');
    expect(text).toContain(`https://canhxa.example.vn/#/alerts?ack=${open[0]!.id}`);
  });

  it('ticking again opens nothing twice, and recovery resolves it with a message to whoever was told', () => {
    const s = alertSetup();
    s.uplinkDown();
    s.advance(6 * MIN);
    s.advance(1000);
    s.advance(1000);
    expect(s.engine.alerts.open()).toHaveLength(1);
    const told = s.outbox().filter((r) => r.event === 'fire').length;
    s.set('net-1', 'up', 'heartbeat');
    for (const id of ['cam-1', 'wifi-1', 'wifi-2']) s.set(id, 'up', 'heartbeat');
    s.advance(1000);
    expect(s.engine.alerts.open()).toEqual([]);
    const resolved = s.outbox().filter((r) => r.event === 'resolve');
    expect(resolved).toHaveLength(told);
    expect(resolved.find((r) => r.username === 'kythuat.a')!.text).toContain(
      'Đã hoạt động lại lúc 23/11/2026 08:06',
    );
  });

  it('a camera alert goes to the police and the camera maintainer only', () => {
    const s = alertSetup();
    s.set('cam-1', 'down', 'last-will');
    s.advance(10 * MIN);
    const fired = s.outbox().filter((r) => r.notifier === 'tg' && r.event === 'fire');
    expect(fired.map((r) => r.username).sort()).toEqual(['camera.e', 'congan.c']);
  });

  it('escalates to the next step when nobody acknowledges, then repeats capped; an acknowledgement stops both', () => {
    const s = alertSetup();
    s.set('wifi-1', 'down', 'last-will');
    s.advance(10 * MIN);
    const [a] = s.engine.alerts.open();
    s.advance(15 * MIN);
    const escalated = s.outbox().filter((r) => r.event === 'escalate');
    expect(escalated.map((r) => r.username)).toEqual(['lanhdao.b']);
    expect(escalated[0]!.text).toMatch(/^\[Canh Xã\] Escalated – Warning: Wi-Fi NVH 1, Ấp 1/);
    for (let i = 0; i < 10; i++) s.advance(30 * MIN);
    // Repeats go to the step last told (the leader), at most maxRepeats (2) times.
    const repeats = s.outbox().filter((r) => r.event === 'repeat' && r.alertId === a!.id);
    expect(repeats.map((r) => r.username)).toEqual(['lanhdao.b', 'lanhdao.b']);

    const b = alertSetup();
    b.set('wifi-1', 'down', 'last-will');
    b.advance(10 * MIN);
    const [alert] = b.engine.alerts.open();
    expect(b.engine.acknowledge(alert!.id, 'kythuat.a', 'đang đến', b.now() + 60 * MIN)).toBe(true);
    b.advance(20 * MIN);
    b.advance(20 * MIN);
    expect(b.outbox().filter((r) => r.event !== 'fire')).toEqual([]);
    // The acknowledgement expires with the device still down: it fires again, to the first step.
    b.advance(25 * MIN);
    expect(b.engine.alerts.get(alert!.id)!.status).toBe('firing');
    const refired = b.outbox().filter((r) => r.event === 'refire' && r.notifier === 'tg');
    expect(refired.map((r) => r.username).sort()).toEqual(['camera.e', 'kythuat.a']);
  });

  it('suppression hides the opening of a child alert, never its resolution', () => {
    const s = alertSetup();
    s.set('wifi-1', 'down', 'last-will');
    s.advance(10 * MIN);
    expect(s.engine.alerts.open().map((a) => a.deviceId)).toEqual(['wifi-1']);
    s.uplinkDown();
    s.advance(6 * MIN);
    // The Wi-Fi AP's alert stays open behind the dead line; the line gets its own.
    expect(
      s.engine.alerts
        .open()
        .map((a) => a.deviceId)
        .sort(),
    ).toEqual(['net-1', 'wifi-1']);
    s.set('net-1', 'up', 'heartbeat');
    for (const id of ['cam-1', 'wifi-1', 'wifi-2']) s.set(id, 'up', 'heartbeat');
    s.advance(1000);
    expect(s.outbox().filter((r) => r.event === 'resolve' && r.notifier === 'hook')).toHaveLength(2);
  });

  it('a device going down and up again and again opens one flapping alert, not a pair per change', () => {
    const s = alertSetup({ alerts: {} });
    for (let i = 0; i < 6; i++) {
      s.set('wifi-2', 'down', 'last-will');
      s.advance(MIN);
      s.set('wifi-2', 'up', 'heartbeat');
      s.advance(MIN);
    }
    const all = s.engine.alerts.open();
    expect(all.map((a) => [a.kind, a.deviceId])).toEqual([['flapping', 'wifi-2']]);
    expect(
      s
        .outbox()
        .filter((r) => r.notifier === 'hook')
        .map((r) => r.event),
    ).toEqual(['fire']);
    expect(s.outbox().find((r) => r.username === 'kythuat.a')!.text).toContain('Chập chờn: 4 lần');
  });

  it('an outage that began and ended while the service was down is found on the cursor and reported resolved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-alerts-'));
    try {
      const file = join(dir, 'a.sqlite');
      const first = alertSetup({ db: openDb(file) });
      first.advance(MIN);
      // The engine is not looking (crashed); the availability engine logs a 20-minute outage.
      first.set('wifi-2', 'down', 'last-will');
      const downAt = first.now();
      first.db.close();
      const db = openDb(file);
      const restarted = alertSetup({ db, now: downAt + 20 * MIN });
      expect(restarted.engine.alerts.history(10)).toEqual([]);
      restarted.advance(1000);
      const [h] = restarted.engine.alerts.history(10);
      expect(h).toMatchObject({
        ruleId: 'device-down',
        deviceId: 'wifi-2',
        sinceTs: downAt,
        status: 'resolved',
      });
      expect(
        restarted
          .outbox()
          .filter((r) => r.event === 'resolve')
          .map((r) => r.username),
      ).toContain('kythuat.a');
      // Looked at again (the next tick, another restart): reported once.
      restarted.advance(1000);
      expect(restarted.engine.alerts.history(10)).toHaveLength(1);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a silent soil sensor opens an alert to economics and technicians, resolved when it is heard', () => {
    const s = alertSetup();
    s.advance(61 * MIN);
    const [a] = s.engine.alerts.open();
    expect(a).toMatchObject({ ruleId: 'soil-silent', deviceId: 'soil-1', sinceTs: T0 });
    expect(
      s
        .outbox()
        .filter((r) => r.notifier === 'tg')
        .map((r) => r.username)
        .sort(),
    ).toEqual(['camera.e', 'kinhte.d', 'kythuat.a']);
    s.set('soil-1', 'up', 'message');
    s.advance(1000);
    expect(s.engine.alerts.get(a!.id)!.status).toBe('resolved');
  });
});
