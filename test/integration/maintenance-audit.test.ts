/**
 * Issue #17: maintenance asks for a reason and a planned end and ends itself then; what is in
 * maintenance now and planned next is listed; the audit log is searchable by user, action and
 * day, paginated, and exported as CSV (UTF-8 BOM) for admins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startTestApp, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';

let app: TestApp;
let tech: string;
let admin: string;
const DEVICE = 'tl-wifi-ubnd';

async function call(method: string, path: string, cookie: string, body?: unknown) {
  const res = await fetch(`${app.apiUrl}${path}`, {
    method,
    headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) };
}

beforeAll(async () => {
  app = await startTestApp();
  tech = await login(app, 'kythuat.talai', app.userPasswords.get('kythuat.talai')!);
  admin = await login(app, 'quantri.talai', app.userPasswords.get('quantri.talai')!);
}, 180_000);
afterAll(async () => {
  await app?.stop();
});

describe('maintenance with a reason and a planned end', { timeout: 120_000 }, () => {
  it('refuses maintenance without a reason, or with an end in the past or too far', async () => {
    const path = `/api/devices/${DEVICE}/maintenance`;
    const noReason = await call('POST', path, tech, { on: true, untilTs: Date.now() + 60_000 });
    expect(noReason.status).toBe(400);
    expect(noReason.json().fields).toHaveProperty('reason');
    const past = await call('POST', path, tech, { on: true, reason: 'Thay nguồn', untilTs: Date.now() - 1 });
    expect(past.status).toBe(400);
    expect(past.json()).toMatchObject({
      fields: { untilTs: 'validation.maintenanceEnd' },
      params: { maxDays: 90 },
    });
    const far = await call('POST', path, tech, {
      on: true,
      reason: 'Thay nguồn',
      untilTs: Date.now() + 91 * 86_400_000,
    });
    expect(far.status).toBe(400);
    expect(app.availability.get(DEVICE)?.state).not.toBe('maintenance');
  });

  it('shows who set it, why and until when, lists it, and ends it itself at the planned end', async () => {
    const untilTs = Date.now() + 3000;
    const res = await call('POST', `/api/devices/${DEVICE}/maintenance`, tech, {
      on: true,
      reason: 'Thay bộ nguồn điểm phát Wi-Fi',
      untilTs,
    });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      state: 'maintenance',
      maintenance: { setBy: 'kythuat.talai', reason: 'Thay bộ nguồn điểm phát Wi-Fi', untilTs },
    });
    const list = (await call('GET', '/api/maintenance', tech)).json();
    expect(list.now.map((d: { id: string }) => d.id)).toEqual([DEVICE]);
    // The engine ends it on its own (check every 100 ms in test apps); wait for the state, not the clock.
    await waitFor(() => app.availability.get(DEVICE)?.state !== 'maintenance', 'maintenance ended', 20_000);
    expect(Date.now()).toBeGreaterThanOrEqual(untilTs);
    const after = (await call('GET', `/api/devices/${DEVICE}`, tech)).json();
    expect(after.maintenance).toBeNull();
    expect((await call('GET', '/api/maintenance', tech)).json().now).toEqual([]);
  });

  it('plans maintenance ahead, lists it as next, and drops the plan when taken off', async () => {
    const startTs = Date.now() + 3_600_000;
    const res = await call('POST', `/api/devices/${DEVICE}/maintenance`, tech, {
      on: true,
      reason: 'Cắt điện theo lịch của điện lực',
      startTs,
      untilTs: startTs + 7_200_000,
    });
    expect(res.status).toBe(200);
    expect(res.json().state).not.toBe('maintenance');
    const list = (await call('GET', '/api/maintenance', tech)).json();
    expect(list.planned).toEqual([
      expect.objectContaining({
        deviceId: DEVICE,
        startTs,
        setBy: 'kythuat.talai',
        reason: 'Cắt điện theo lịch của điện lực',
      }),
    ]);
    // The police see no Wi-Fi, so no plan of it either; leaders see it.
    const leader = await login(app, 'lanhdao.talai', app.userPasswords.get('lanhdao.talai')!);
    expect((await call('GET', '/api/maintenance', leader)).json().planned).toHaveLength(1);
    expect((await call('POST', `/api/devices/${DEVICE}/maintenance`, tech, { on: false })).status).toBe(200);
    expect((await call('GET', '/api/maintenance', tech)).json().planned).toEqual([]);
  });
});

describe('audit log search and export', { timeout: 120_000 }, () => {
  it('filters by user, action and day, pages, and counts', async () => {
    const all = (await call('GET', '/api/audit/entries?user=kythuat.talai&pageSize=200', admin)).json();
    const actions = all.entries.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['maintenance-on', 'maintenance-plan', 'maintenance-off']),
    );
    expect(all.total).toBe(all.entries.length);
    expect(all.usernames).toContain('kythuat.talai');
    expect(all.actions).toContain('maintenance-plan');
    const plan = (await call('GET', '/api/audit/entries?action=maintenance-plan', admin)).json();
    expect(plan.entries).toEqual([
      expect.objectContaining({
        username: 'kythuat.talai',
        target: DEVICE,
        detail: expect.objectContaining({ reason: 'Cắt điện theo lịch của điện lực' }),
      }),
    ]);
    const page2 = (
      await call('GET', '/api/audit/entries?user=kythuat.talai&pageSize=1&page=2', admin)
    ).json();
    expect(page2).toMatchObject({ total: all.total, page: 2, pageSize: 1 });
    expect(page2.entries).toEqual([all.entries[1]]);
    // Days are Vietnamese calendar days, both ends inclusive (yesterday to today holds this run's
    // rows even across midnight); a day long past holds none.
    const day = (ts: number) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' }).format(ts);
    const recent = `from=${day(Date.now() - 86_400_000)}&to=${day(Date.now())}`;
    expect((await call('GET', `/api/audit/entries?${recent}&user=kythuat.talai`, admin)).json().total).toBe(
      all.total,
    );
    expect((await call('GET', '/api/audit/entries?from=2020-01-01&to=2020-01-31', admin)).json().total).toBe(
      0,
    );
    expect((await call('GET', '/api/audit/entries?from=hom-qua', admin)).status).toBe(400);
  });

  it('exports the filtered log as CSV with a UTF-8 BOM, Vietnamese by default, English on request', async () => {
    const res = await fetch(`${app.apiUrl}/api/audit/export?user=kythuat.talai`, {
      headers: { cookie: admin },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="nhat-ky-ta-lai\.csv"/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('Thời gian,Người dùng,Vai trò,Hành động,Đối tượng,Xã,Chi tiết');
    expect(lines.slice(1).every((l) => l.includes(',kythuat.talai,Kỹ thuật viên,'))).toBe(true);
    expect(text).toContain('Lên kế hoạch bảo trì');
    expect(text).toContain('Tà Lài');
    const en = await (
      await fetch(`${app.apiUrl}/api/audit/export?lang=en&action=maintenance-plan`, {
        headers: { cookie: admin },
      })
    ).text();
    expect(en.split('\r\n')[0]).toBe('Time,User,Role,Action,Target,Commune,Detail');
    expect(en).toContain('Maintenance planned');
    // The export itself is in the log.
    expect((await call('GET', '/api/audit/entries?action=audit-export', admin)).json().total).toBe(2);
    expect((await call('GET', '/api/audit/export', tech)).status).toBe(403);
  });
});
