/**
 * Maintenance windows, quiet hours and the daily digest (issue #14 item 2) with real parts: the
 * service (aedes, availability, SQLite), devices heartbeating over MQTT, the Telegram Bot API
 * stand-in, restarts on the same data folder, and a clock the test moves forward.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { localDayStart, VN_OFFSET_MS } from '../../services/alerts/windows/occurrences.ts';
import { communeDoc } from '../fixtures/mini-commune.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';
import { connectDevice, waitFor } from '../setup/helpers.ts';
import { TelegramStandIn } from '../standins/telegram.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const liveness = { heartbeatIntervalSec: 1, graceSec: 2 };
const DEVICES = ['mw-net-1', 'mw-cam-1', 'mw-wifi-1', 'mw-wifi-2'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  telegram: TelegramStandIn;
  passwords: Map<string, string>;
  now(): number;
  skip(ms: number): void;
  start(): Promise<TestApp>;
}

/** A commune with a line, a camera and two Wi-Fi APs at one site; the service's clock starts at `startTs`. */
async function rig(startTs = Date.now(), fileWindows: unknown[] = []): Promise<Rig> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cx-windows-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const telegram = new TelegramStandIn();
  const apiUrl = await telegram.start();
  cleanups.push(() => telegram.stop());
  const communesDir = join(dataDir, 'communes');
  mkdirSync(communesDir, { recursive: true });
  const doc = communeDoc({
    id: 'xa-bao-tri',
    hamlets: [{ id: 'bt-ap-1', name: 'Ấp Bàu Sen' }],
    sites: [{ id: 'bt-nvh', name: 'Nhà văn hóa ấp Bàu Sen', kind: 'cultural-house', uplink: 'mw-net-1' }],
    devices: [
      { id: 'mw-net-1', type: 'uplink', name: 'Đường truyền NVH Bàu Sen', liveness },
      { id: 'mw-cam-1', type: 'camera', name: 'Camera cổng NVH Bàu Sen', liveness },
      { id: 'mw-wifi-1', type: 'wifi-ap', name: 'Wi-Fi NVH 1', liveness },
      { id: 'mw-wifi-2', type: 'wifi-ap', name: 'Wi-Fi NVH 2', liveness },
    ],
    users: [
      {
        username: 'kythuat.bt',
        name: 'Kỹ thuật viên',
        role: 'technician',
        contact: { telegramChatId: '111' },
      },
      { username: 'congan.bt', name: 'Công an xã', role: 'police', contact: { telegramChatId: '333' } },
      { username: 'quantri.bt', name: 'Quản trị', role: 'admin' },
    ],
    extra: {
      alerts: {
        rules: [
          { id: 'wifi-down', kind: 'down-for', minutes: 0, deviceTypes: ['wifi-ap'], severity: 'warning' },
          { id: 'line-down', kind: 'down-for', minutes: 0, deviceTypes: ['uplink'], severity: 'critical' },
        ],
        notify: [{ roles: ['technician', 'police'] }],
        quietHours: { start: '22:00', end: '06:00' },
        digest: { at: '07:00', roles: ['technician'] },
        windows: fileWindows,
      },
    },
  });
  writeFileSync(join(communesDir, 'xa-bao-tri.yaml'), stringify(doc));
  writeFileSync(join(dataDir, 'notify-secrets.json'), JSON.stringify({ 'telegram-bot': telegram.token }));
  chmodSync(join(dataDir, 'notify-secrets.json'), 0o600);
  const extra = stringify({
    alerts: {
      tickMs: 100,
      // No reminders: the messages counted are the alert's own, held or not.
      maxRepeats: 0,
      retryBaseMs: 50,
      retryMaxMs: 400,
      timeoutMs: 2000,
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
  let offset = startTs - Date.now();
  const passwords = new Map<string, string>();
  return {
    telegram,
    passwords,
    now: () => Date.now() + offset,
    skip: (ms) => {
      offset += ms;
    },
    start: async () => {
      const app = await startTestApp({ dataDir, communesDir, extra, clock: () => Date.now() + offset });
      cleanups.push(() => app.stop());
      for (const [u, p] of app.userPasswords) passwords.set(u, p);
      return app;
    },
  };
}

/** Every device heartbeats every 250 ms until stopped; resolves once all are up. */
async function allUp(
  app: TestApp,
  ids = DEVICES,
): Promise<Map<string, { client: MqttClient; stop(): void }>> {
  const out = new Map<string, { client: MqttClient; stop(): void }>();
  for (const id of ids) {
    const client = await connectDevice(app, id);
    const beat = () =>
      client.publish(`cx/v1/xa-bao-tri/${id}/heartbeat`, JSON.stringify({ v: 1 }), { qos: 1 });
    const pump = setInterval(beat, 250);
    beat();
    const stop = () => {
      clearInterval(pump);
      client.end(true);
    };
    cleanups.push(stop);
    out.set(id, { client, stop });
  }
  await waitFor(() => ids.every((id) => app.availability.get(id)?.state === 'up'), 'the devices up', 45_000);
  return out;
}

interface Span {
  startTs: number;
  untilTs: number;
}
/** The fields these tests read from the answers (a window, a device, a list of either). */
interface Answer {
  id: number;
  devices: Array<{ id: string }>;
  active: Span | null;
  next: Span | null;
  maintenance: { setBy: string; reason: string; untilTs: number };
}

async function call(app: TestApp, cookie: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.apiUrl}${path}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Answer };
}

/** A weekly schedule whose occurrence began a minute ago (today's weekday, Vietnam time). */
function weeklyFromNow(now: number, durationMin: number) {
  const local = new Date(now - MIN + VN_OFFSET_MS);
  const at = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
  return { kind: 'weekly', days: [WEEKDAYS[local.getUTCDay()]], at, durationMin };
}

describe('maintenance windows end to end', { timeout: 180_000 }, () => {
  it("a technician's weekly window puts the site's devices but not its camera in maintenance, across a restart, until it ends; the police window the camera; refusals and the audit", async () => {
    const r = await rig();
    let app = await r.start();
    await allUp(app);
    const tech = await login(app, 'kythuat.bt', r.passwords.get('kythuat.bt')!);
    const police = await login(app, 'congan.bt', r.passwords.get('congan.bt')!);
    const admin = await login(app, 'quantri.bt', r.passwords.get('quantri.bt')!);
    const once = { kind: 'once', startTs: r.now(), untilTs: r.now() + HOUR };

    // A technician may not put a camera in a window; the police may not reach a Wi-Fi AP.
    const refused = await call(app, tech, 'POST', '/api/maintenance/windows', {
      scope: { kind: 'device', id: 'mw-cam-1' },
      reason: 'Thay camera',
      schedule: once,
    });
    expect(refused.status).toBe(403);
    expect(
      (
        await call(app, police, 'POST', '/api/maintenance/windows', {
          scope: { kind: 'device', id: 'mw-wifi-1' },
          reason: 'Không phải việc của công an',
          schedule: once,
        })
      ).status,
    ).toBe(403);

    const siteWindow = await call(app, tech, 'POST', '/api/maintenance/windows', {
      scope: { kind: 'site', id: 'bt-nvh' },
      reason: 'Nhà thầu bảo trì định kỳ',
      schedule: weeklyFromNow(r.now(), 30),
    });
    expect(siteWindow.status, JSON.stringify(siteWindow.json)).toBe(200);
    expect(siteWindow.json.devices.map((d: { id: string }) => d.id).sort()).toEqual([
      'mw-net-1',
      'mw-wifi-1',
      'mw-wifi-2',
    ]);
    expect(siteWindow.json.active).not.toBeNull();
    const inWindow = ['mw-net-1', 'mw-wifi-1', 'mw-wifi-2'];
    await waitFor(
      () => inWindow.every((id) => app.availability.get(id)?.state === 'maintenance'),
      'the site in maintenance',
      45_000,
    );
    expect(app.availability.get('mw-cam-1')?.state).toBe('up');
    const wifi = await call(app, tech, 'GET', '/api/devices/mw-wifi-1');
    expect(wifi.json.maintenance).toMatchObject({
      setBy: `window:${siteWindow.json.id}`,
      reason: 'Nhà thầu bảo trì định kỳ',
    });
    expect(wifi.json.maintenance.untilTs).toBe(siteWindow.json.active!.untilTs);

    const camWindow = await call(app, police, 'POST', '/api/maintenance/windows', {
      scope: { kind: 'device', id: 'mw-cam-1' },
      reason: 'Chỉnh góc camera',
      schedule: once,
    });
    expect(camWindow.status).toBe(200);
    await waitFor(
      () => app.availability.get('mw-cam-1')?.state === 'maintenance',
      'the camera in maintenance',
      45_000,
    );

    // Each sees the windows of the devices they see: the technician never the camera's.
    const techList = (await call(app, tech, 'GET', '/api/maintenance/windows')).json as unknown as Array<{
      id: number;
    }>;
    expect(techList.map((w) => w.id)).toEqual([siteWindow.json.id]);
    const policeList = (await call(app, police, 'GET', '/api/maintenance/windows')).json as unknown as Array<{
      id: number;
      devices: Array<{ id: string }>;
    }>;
    expect(policeList.map((w) => w.id).sort()).toEqual([siteWindow.json.id, camWindow.json.id].sort());
    expect(JSON.stringify(techList)).not.toContain('mw-cam-1');
    const removeCam = await call(app, tech, 'POST', '/api/maintenance/windows/remove', {
      ids: [camWindow.json.id],
    });
    expect(removeCam.json).toEqual([{ id: camWindow.json.id, result: 'forbidden' }]);

    // A restart in the middle of the window leaves its devices in it; nothing starts twice.
    await app.stop();
    app = await r.start();
    expect(inWindow.every((id) => app.availability.get(id)?.state === 'maintenance')).toBe(true);
    const plans = app.db.prepare('SELECT COUNT(*) AS n FROM maintenance_plans').get() as { n: number };
    expect(plans.n).toBe(0);
    const audit = (
      await call(app, await login(app, 'quantri.bt', r.passwords.get('quantri.bt')!), 'GET', '/api/audit')
    ).json as unknown as Array<{ username: string; action: string }>;
    expect(
      audit
        .filter((a) => a.action === 'maintenance-window-add')
        .map((a) => a.username)
        .sort(),
    ).toEqual(['congan.bt', 'kythuat.bt']);
    void admin;

    // The window's end takes the devices out (the police's one-hour camera window goes on).
    r.skip(30 * MIN);
    await waitFor(
      () => inWindow.every((id) => app.availability.get(id)?.state !== 'maintenance'),
      'the site out of maintenance',
      45_000,
    );
    expect(app.availability.get('mw-cam-1')?.state).toBe('maintenance');
    // Removing the camera window ends its maintenance at the next check.
    const police2 = await login(app, 'congan.bt', r.passwords.get('congan.bt')!);
    const removed = await call(app, police2, 'POST', '/api/maintenance/windows/remove', {
      ids: [camWindow.json.id],
    });
    expect(removed.json).toEqual([{ id: camWindow.json.id, result: 'removed' }]);
    await waitFor(
      () => app.availability.get('mw-cam-1')?.state !== 'maintenance',
      'the camera out of maintenance',
      45_000,
    );
    // Next week's occurrence is what the list shows now.
    const list = (
      await call(
        app,
        await login(app, 'kythuat.bt', r.passwords.get('kythuat.bt')!),
        'GET',
        '/api/maintenance/windows',
      )
    ).json as unknown as Answer[];
    expect(list[0]!.active).toBeNull();
    expect(list[0]!.next!.startTs).toBe(siteWindow.json.active!.startTs + 7 * 24 * HOUR);
  });

  it('edits, ends early and deletes windows: devices follow, the time spent stays maintenance, bad fields named, refusals, before and after in the audit', async () => {
    const r = await rig(Date.now(), [
      {
        id: 'tuesday-night',
        scope: { kind: 'site', id: 'bt-nvh' },
        reason: 'Nhà thầu bảo trì đêm thứ Ba',
        schedule: { kind: 'weekly', days: ['tue'], at: '23:00', durationMin: 60 },
      },
    ]);
    const app = await r.start();
    await allUp(app, ['mw-wifi-1', 'mw-wifi-2', 'mw-cam-1']);
    const tech = await login(app, 'kythuat.bt', r.passwords.get('kythuat.bt')!);
    const police = await login(app, 'congan.bt', r.passwords.get('congan.bt')!);
    const admin = await login(app, 'quantri.bt', r.passwords.get('quantri.bt')!);
    const state = (id: string) => app.availability.get(id)?.state;
    const post = (cookie: string, path: string, body: unknown) =>
      call(app, cookie, 'POST', `/api/maintenance/windows${path}`, body) as Promise<{
        status: number;
        json: Answer & { fields: Record<string, string>; result: string; window: Answer };
      }>;
    const win = (kind: string, id: string, reason: string, schedule: unknown) => ({
      scope: { kind, id },
      reason,
      schedule,
    });

    // A one-off window over one AP, holding now.
    const once = { kind: 'once', startTs: r.now() - MIN, untilTs: r.now() + HOUR };
    const made = await post(tech, '', win('device', 'mw-wifi-1', 'Thay nguồn AP 1', once));
    expect(made.status, JSON.stringify(made.json)).toBe(200);
    const id = made.json.id;
    await waitFor(() => state('mw-wifi-1') === 'maintenance', 'AP 1 in the window', 45_000);

    // Bad fields are named with the catalogue's keys, and nothing changes.
    const bad = await post(tech, '/edit', {
      id,
      ...win('device', 'mw-wifi-1', 'x', { kind: 'daily', at: '25:00', durationMin: 0 }),
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.json.fields).sort()).toEqual(['reason', 'schedule.at', 'schedule.durationMin']);
    const ended = await post(tech, '/edit', {
      id,
      ...win('device', 'mw-wifi-1', 'Thay nguồn AP 1', { ...once, untilTs: r.now() - MIN / 2 }),
    });
    expect(ended.status).toBe(400);
    expect(ended.json.fields).toEqual({ 'schedule.untilTs': 'validation.maintenanceEnd' });

    // Edited to the whole site for two hours: AP 2 joins, AP 1 stays in with the new end, never the camera.
    const twoHours = { ...once, untilTs: r.now() + 2 * HOUR };
    const edited = await post(tech, '/edit', {
      id,
      ...win('site', 'bt-nvh', 'Thay nguồn cả nhà văn hóa', twoHours),
    });
    expect(edited.json).toMatchObject({
      id,
      result: 'edited',
      window: { active: { untilTs: twoHours.untilTs } },
    });
    await waitFor(() => state('mw-wifi-2') === 'maintenance', 'AP 2 in the window', 45_000);
    expect(state('mw-wifi-1')).toBe('maintenance');
    expect(state('mw-cam-1')).toBe('up');
    const ap1 = await call(app, tech, 'GET', '/api/devices/mw-wifi-1');
    expect(ap1.json.maintenance).toMatchObject({
      reason: 'Thay nguồn cả nhà văn hóa',
      untilTs: twoHours.untilTs,
    });

    // Not theirs to change: the police's, a camera for a technician, the commune file's.
    expect((await post(police, '/end', { ids: [id] })).json).toEqual([{ id, result: 'forbidden' }]);
    const camera = await post(tech, '/edit', { id, ...win('device', 'mw-cam-1', 'Thay camera', twoHours) });
    expect(camera.status).toBe(403);
    const list = (await call(app, admin, 'GET', '/api/maintenance/windows')).json as unknown as Array<{
      id: number;
      fromConfig: boolean;
      removable: boolean;
      editable: boolean;
      endable: boolean;
    }>;
    const fromFile = list.find((w) => w.fromConfig)!;
    expect(fromFile).toMatchObject({ removable: false, editable: false, endable: false });
    expect((await post(admin, '/end', { ids: [fromFile.id] })).json).toEqual([
      { id: fromFile.id, result: 'from-file' },
    ]);
    expect(
      (await post(admin, '/edit', { id: fromFile.id, ...win('site', 'bt-nvh', 'Đổi giờ', once) })).json,
    ).toEqual({ id: fromFile.id, result: 'from-file' });
    expect((await post(admin, '/remove', { ids: [fromFile.id] })).json).toEqual([
      { id: fromFile.id, result: 'from-file' },
    ]);
    expect(list.find((w) => w.id === id)).toMatchObject({ editable: true, endable: true });

    // Ended early: its end is now, both APs leave maintenance, the time they spent stays maintenance.
    const endTs = r.now();
    expect((await post(tech, '/end', { ids: [id] })).json).toEqual([{ id, result: 'ended' }]);
    await waitFor(
      () => state('mw-wifi-1') !== 'maintenance' && state('mw-wifi-2') !== 'maintenance',
      'the APs out of maintenance',
      45_000,
    );
    expect((await post(tech, '/end', { ids: [id] })).json).toEqual([{ id, result: 'not-running' }]);
    const after = (await call(app, tech, 'GET', '/api/maintenance/windows')).json as unknown as Answer[];
    const endedWindow = after.find((w) => w.id === id) as unknown as {
      active: null;
      schedule: { untilTs: number };
      editable: boolean;
    };
    expect(endedWindow.active).toBeNull();
    expect(endedWindow.schedule.untilTs).toBeGreaterThanOrEqual(endTs);
    expect(endedWindow.editable).toBe(false);
    const spent = app.db
      .prepare(
        "SELECT COUNT(*) AS n FROM state_intervals WHERE device_id = 'mw-wifi-1' AND state = 'maintenance'",
      )
      .get() as { n: number };
    expect(spent.n).toBeGreaterThan(0);

    // A recurring window ended early: today's occurrence is over, next week's still starts.
    const weekly = await post(
      tech,
      '',
      win('device', 'mw-wifi-2', 'Khởi động lại hằng tuần', weeklyFromNow(r.now(), 30)),
    );
    await waitFor(() => state('mw-wifi-2') === 'maintenance', 'AP 2 in the weekly window', 45_000);
    expect((await post(tech, '/end', { ids: [weekly.json.id] })).json).toEqual([
      { id: weekly.json.id, result: 'ended' },
    ]);
    await waitFor(() => state('mw-wifi-2') !== 'maintenance', 'AP 2 out of the weekly window', 45_000);
    const weeklyNow = (
      (await call(app, tech, 'GET', '/api/maintenance/windows')).json as unknown as Answer[]
    ).find((w) => w.id === weekly.json.id)!;
    expect(weeklyNow.active).toBeNull();
    expect(weeklyNow.next!.startTs).toBe(weekly.json.active!.startTs + 7 * 24 * HOUR);
    app.alerting.housekeep();
    expect(state('mw-wifi-2')).not.toBe('maintenance');

    // Deleted; the audit has who and before/after for each change.
    expect((await post(tech, '/remove', { ids: [id] })).json).toEqual([{ id, result: 'removed' }]);
    const audit = (await call(app, admin, 'GET', '/api/audit')).json as unknown as Array<{
      username: string;
      action: string;
      target: string;
      detail: { before?: { scope: string; reason: string }; after?: { scope: string; untilTs?: number } };
    }>;
    const of = (action: string) => audit.filter((a) => a.action === action && a.target === `window:${id}`);
    expect(of('maintenance-window-edit')).toEqual([
      expect.objectContaining({
        username: 'kythuat.bt',
        detail: expect.objectContaining({
          before: expect.objectContaining({ scope: 'device:mw-wifi-1', reason: 'Thay nguồn AP 1' }),
          after: expect.objectContaining({ scope: 'site:bt-nvh', reason: 'Thay nguồn cả nhà văn hóa' }),
        }),
      }),
    ]);
    expect(of('maintenance-window-end')).toHaveLength(1);
    expect(of('maintenance-window-end')[0]!.detail.after!.untilTs).toBeGreaterThanOrEqual(endTs);
    expect(of('maintenance-window-remove')[0]).toMatchObject({
      username: 'kythuat.bt',
      detail: { before: { scope: 'site:bt-nvh' } },
    });
  });

  it('quiet hours hold a warning through a restart and send it once at 06:00; the 07:00 digest is sent once per day across a restart', async () => {
    // The service's clock: the next 23:00 in Vietnam.
    const today = localDayStart(Date.now());
    const at23 = today + 23 * HOUR > Date.now() ? today + 23 * HOUR : today + 47 * HOUR;
    const r = await rig(at23);
    let app = await r.start();
    const devices = await allUp(app);
    devices.get('mw-wifi-1')!.stop();
    const alert = await waitFor(
      () => app.alerting.engine.alerts.open().find((a) => a.deviceId === 'mw-wifi-1'),
      'the Wi-Fi alert',
      45_000,
    );
    const held = app.db
      .prepare(
        "SELECT username, held_until_ts AS held FROM notify_outbox WHERE alert_id = ? AND event = 'fire'",
      )
      .all(alert.id) as Array<{ username: string; held: number }>;
    const six = localDayStart(r.now()) + 30 * HOUR;
    expect(held).toEqual([{ username: 'kythuat.bt', held: six }]);
    const about = () =>
      r.telegram.sent.filter((m) => m.buttons.some((b) => b.callback_data === `ack:${alert.id}`));
    expect(about()).toEqual([]);
    for (const d of devices.values()) d.stop();
    await app.stop();

    // Back at 06:00: the held message goes, once.
    r.skip(six - r.now());
    app = await r.start();
    await waitFor(() => about().length === 1, 'the held message sent', 45_000);
    expect(about()[0]!.chatId).toBe('111');
    expect(about()[0]!.text).toContain('Wi-Fi NVH 1');
    // The first start (23:00) sent the day before's digest at once (it was past 07:00); none for today yet.
    const label = (ts: number) =>
      new Date(ts + VN_OFFSET_MS).toISOString().slice(0, 10).split('-').reverse().join('/');
    const digests = () =>
      r.telegram.sent.filter((m) => m.text.includes(`Tóm tắt cảnh báo ngày ${label(at23)}`));
    app.alerting.housekeep();
    expect(digests()).toEqual([]);
    expect(
      r.telegram.sent.filter((m) => m.text.includes('Tóm tắt cảnh báo ngày')).map((m) => m.text),
    ).toHaveLength(1);

    // 07:00: yesterday's digest to the technician, once, also after a restart.
    r.skip(HOUR + MIN);
    await waitFor(() => digests().length === 1, 'the digest', 45_000);
    expect(digests()[0]!.chatId).toBe('111');
    expect(digests()[0]!.text).toMatch(/Mở mới: [1-9]/);
    expect(digests()[0]!.text).toContain('Ấp Bàu Sen');
    await app.stop();
    app = await r.start();
    app.alerting.housekeep();
    const queued = app.db.prepare("SELECT COUNT(*) AS n FROM notify_outbox WHERE event = 'digest'").get() as {
      n: number;
    };
    expect(queued.n).toBe(2);
    expect(about()).toHaveLength(1);
  });
});
