/**
 * The economics office sets a plot's moisture bounds through the API over the commune file's:
 * the plot's mark follows at once, the change is in the audit log and in SQLite (kept across a
 * restart on the same data folder), a refusal names the field at fault, other roles are refused,
 * and `fromFile` goes back to the file's bounds.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { COMMUNE, EUI, LSE01, topic, upEvent } from '../fixtures/soil-farm.ts';
import { connectDevice, login, startTestApp, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';

const NOW = Math.floor(Date.now() / 1000) * 1000 - 60_000;
let tmp: string;
let app: TestApp;
let passwords: ReadonlyMap<string, string>;
const cookies = new Map<string, string>();

async function call(method: string, path: string, username: string, body?: unknown) {
  let cookie = cookies.get(username);
  if (!cookie) {
    cookie = await login(app, username, passwords.get(username)!);
    cookies.set(username, cookie);
  }
  const res = await fetch(`${app.apiUrl}${path}`, {
    method,
    headers: { cookie, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> };
}

interface PlotJson {
  siteId: string;
  status: string;
  dryBelowPct: number | null;
  wetAbovePct: number | null;
  fileBounds: { dryBelowPct: number; wetAbovePct: number | null } | null;
  thresholdsSetBy: { username: string; ts: number } | null;
}
const tieu = async () =>
  ((await call('GET', '/api/soil/plots', 'kinhte.vuon')).json.plots as PlotJson[]).find(
    (p) => p.siteId === 'vuon-tieu',
  )!;
const put = (body: unknown, username = 'kinhte.vuon') =>
  call('PUT', '/api/soil/plots/vuon-tieu/thresholds', username, body);

const start = () =>
  startTestApp({
    communesDir: join(tmp, 'communes'),
    dataDir: join(tmp, 'data'),
    extra: 'ingest:\n  batchMaxDelayMs: 5',
  });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-soil-thr-'));
  mkdirSync(join(tmp, 'communes'));
  mkdirSync(join(tmp, 'data'));
  // The tiêu plot's household (personal data) and an admin, who must not see it.
  const doc = structuredClone(COMMUNE) as typeof COMMUNE & {
    users: Array<Record<string, string>>;
    plots: Array<Record<string, unknown>>;
  };
  doc.plots[0]!.household = { name: 'Hộ ông Nguyễn Văn Tiêu', phone: '0912345678' };
  doc.users.push({ username: 'quantri.vuon', name: 'Quản trị', role: 'admin' });
  writeFileSync(join(tmp, 'communes', 'xa-vuon.yaml'), stringify(doc));
  app = await start();
  passwords = app.userPasswords;
  const ns: MqttClient = await connectDevice(app, 'gw');
  // Dragino's documented frame: 19.57 %, below hồ tiêu's 22 % in the commune file.
  const ev = upEvent(EUI.a, { fCnt: 1, fPort: 2, bytes: LSE01, ts: NOW });
  await ns.publishAsync(topic(EUI.a), JSON.stringify(ev), { qos: 1 });
  await ns.endAsync();
  await waitFor(async () => (await tieu()).status === 'dry', 'the tiêu plot dry', 30_000);
}, 90_000);

afterAll(async () => {
  await app?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('plot moisture bounds set by the economics office', () => {
  it('sets bounds over the file, the mark follows, audit-logged, kept across a restart', async () => {
    const res = await put({ dryBelowPct: 15, wetAbovePct: 35.5 });
    expect(res.status).toBe(200);
    expect(res.json.plot).toMatchObject({
      siteId: 'vuon-tieu',
      dryBelowPct: 15,
      wetAbovePct: 35.5,
      fileBounds: { dryBelowPct: 22, wetAbovePct: 45 },
      thresholdsSetBy: { username: 'kinhte.vuon' },
    });
    expect((await tieu()).status).toBe('ok');
    const audit = app.db
      .prepare(`SELECT username, action, target, detail FROM audit_log WHERE action LIKE 'soil-%'`)
      .all() as Array<{ username: string; action: string; target: string; detail: string }>;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      username: 'kinhte.vuon',
      action: 'soil-thresholds',
      target: 'vuon-tieu',
    });
    expect(JSON.parse(audit[0]!.detail)).toEqual({
      before: { dryBelowPct: 22, wetAbovePct: 45 },
      after: { dryBelowPct: 15, wetAbovePct: 35.5 },
    });
    await app.stop();
    cookies.clear();
    app = await start();
    expect(await tieu()).toMatchObject({ status: 'ok', dryBelowPct: 15, wetAbovePct: 35.5 });
  }, 90_000);

  it('refuses bad bounds naming the field, and other roles', async () => {
    const bad = async (body: unknown, fields: Record<string, string>) => {
      const res = await put(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.fields).toEqual(fields);
    };
    await bad({ dryBelowPct: 30, wetAbovePct: 25 }, { wetAbovePct: 'validation.soilWetAboveDry' });
    await bad({ dryBelowPct: 120, wetAbovePct: null }, { dryBelowPct: 'validation.too_big' });
    await bad({ wetAbovePct: 40 }, { dryBelowPct: 'validation.soilDryRequired' });
    await bad({ dryBelowPct: '20' }, { dryBelowPct: 'validation.invalid_type' });
    await bad({ dryBelowPct: 20, fromFile: true }, { fromFile: 'validation.soilFromFileAlone' });
    await bad({ dryBelowPct: 20, cropId: 'x' }, { '(body)': 'validation.unrecognized_keys' });
    for (const who of ['congan.vuon', 'kythuat.vuon'])
      expect((await put({ dryBelowPct: 40, wetAbovePct: null }, who)).status, who).toBe(403);
    expect(
      (await call('PUT', '/api/soil/plots/vuon-khac/thresholds', 'kinhte.vuon', { dryBelowPct: 9 })).status,
    ).toBe(404);
    expect(await tieu()).toMatchObject({ dryBelowPct: 15, wetAbovePct: 35.5 });
  }, 60_000);

  it("shows the farm household's name and phone to the economics office alone", async () => {
    const mine = (await call('GET', '/api/soil/plots', 'kinhte.vuon')).json.plots as Array<
      Record<string, unknown>
    >;
    expect(mine.find((p) => p.siteId === 'vuon-tieu')!.household).toEqual({
      name: 'Hộ ông Nguyễn Văn Tiêu',
      phone: '0912345678',
    });
    const admin = await call('GET', '/api/soil/plots', 'quantri.vuon');
    expect(admin.status).toBe(200);
    expect(JSON.stringify(admin.json)).not.toMatch(/Nguyễn Văn Tiêu|0912345678/);
    expect(
      JSON.stringify((await put({ dryBelowPct: 15, wetAbovePct: 35.5 }, 'quantri.vuon')).json),
    ).not.toMatch(/0912345678/);
  }, 60_000);

  it('goes back to the commune file with fromFile', async () => {
    const res = await put({ fromFile: true });
    expect(res.status).toBe(200);
    expect(res.json.plot).toMatchObject({ dryBelowPct: 22, wetAbovePct: 45, thresholdsSetBy: null });
    expect((await tieu()).status).toBe('dry');
    const actions = app.db
      .prepare(`SELECT action FROM audit_log WHERE action LIKE 'soil-%' ORDER BY id`)
      .pluck()
      .all();
    expect(actions).toEqual(['soil-thresholds', 'soil-thresholds', 'soil-thresholds-reset']);
  }, 60_000);
});
