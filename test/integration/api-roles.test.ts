import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROLES, type Role } from '../../config/schema/commune.ts';
import { measureJpeg } from '../../gateway/probes/support/image-checks.ts';
import { examplePath, exampleProblems } from '../../services/api/examples.ts';
import {
  allows,
  type ExampleContext,
  isApiKeyAccess,
  keyAllows,
  type RouteSpec,
  route,
} from '../../services/api/route.ts';
import { ROUTES } from '../../services/api/routes/registry.ts';
import type { ApiKey } from '../../services/auth/api-keys.ts';
import { canSee, DEVICE_TYPES } from '../../services/device-types/registry.ts';
import { connectDevice, login, PROVINCE_USER, startTestApp, type TestApp } from '../setup/app.ts';
import { sceneJpeg } from '../standins/camera-scene.ts';

const USER_OF: Record<Role, string> = {
  police: 'congan.talai',
  economics: 'kinhte.talai',
  technician: 'kythuat.talai',
  leader: 'lanhdao.talai',
  admin: 'quantri.talai',
  province: PROVINCE_USER,
};
/** The walk's commune users are Tà Lài's; the province user's commune is every commune (null). */
const communeOf = (role: Role) => (role === 'province' ? null : 'ta-lai');

let app: TestApp;
const cookies = new Map<Role, string>();
const bodies: string[] = [];

async function call(method: string, path: string, cookie?: string, body?: unknown, bearer?: string) {
  const res = await fetch(`${app.apiUrl}${path}`, {
    method: method.toUpperCase(),
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    redirect: 'manual',
  });
  const text = res.headers.get('content-type')?.includes('event-stream') ? '' : await res.text();
  if (res.headers.get('content-type')?.includes('event-stream')) await res.body?.cancel();
  bodies.push(text);
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/** Whom a route's examples are for: a role of the walk, or (null) a call without a session. */
function exampleCtx(role: Role | null): ExampleContext {
  return {
    role,
    communeId: role === null ? null : communeOf(role),
    deps: { directory: app.directory, db: app.db, clock: Date.now },
  };
}

/** The route's example request for this caller; fails naming the route when it has none. */
function exampleOf(spec: RouteSpec, role: Role | null): { path: string; body: unknown } {
  const problems = exampleProblems(spec);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return { path: examplePath(spec, exampleCtx(role)), body: spec.examples?.body };
}

/** IOC feed keys: one per scope, one with both, and a revoked one. */
const keys: Array<{ label: string; key: string; apiKey: ApiKey | undefined }> = [];

beforeAll(async () => {
  // No tile server: the walk must not send the tile route's example to the internet.
  app = await startTestApp({ extra: 'map: { tileUrl: null }' });
  // Every camera has a snapshot, so the police's camera routes answer 200 in the walk.
  const jpeg = sceneJpeg('normal', 0);
  for (const d of app.directory.all())
    if (d.type.kind === 'camera') app.snapshots.keep(d.id, jpeg, measureJpeg(jpeg), Date.now());
  for (const role of ROLES)
    cookies.set(role, await login(app, USER_OF[role], app.userPasswords.get(USER_OF[role])!));
  for (const scopes of [['summaries'], ['states'], ['summaries', 'states']] as const) {
    const { key, apiKey } = app.apiKeys.create({ name: `IOC ${scopes.join('+')}`, scopes });
    keys.push({ label: scopes.join('+'), key, apiKey });
  }
  const revoked = app.apiKeys.create({ name: 'IOC cũ', scopes: ['summaries', 'states'] });
  app.apiKeys.revoke(revoked.apiKey.id);
  keys.push({ label: 'revoked', key: revoked.key, apiKey: undefined });
});
afterAll(async () => {
  await app?.stop();
});

describe('every route with every role', () => {
  // Sign-in, sign-out and the password change take the caller's own password (or end the session
  // the walk goes on with): test/integration/accounts.test.ts covers them.
  const walk = ROUTES.filter(
    (r) => r.path !== '/api/auth/login' && r.path !== '/api/auth/logout' && r.path !== '/api/auth/password',
  );
  it('covers the whole route table', () => {
    expect(walk.length).toBeGreaterThanOrEqual(12);
  });

  it('has a working example request for every route: path params for each role, a body its schema takes', () => {
    expect(ROUTES.flatMap(exampleProblems)).toEqual([]);
    for (const spec of ROUTES)
      for (const role of [null, ...ROLES]) expect(examplePath(spec, exampleCtx(role))).not.toMatch(/:\w/);
  });

  it('names a route with a path param or a body and no example, and the fix', () => {
    const bare = route({
      method: 'put',
      path: '/api/cameras/:cameraId/presets/:presetId',
      access: ['police'],
      tag: 'test',
      summary: 'test',
      body: z.strictObject({ name: z.string() }),
      handle: () => undefined,
    });
    expect(exampleProblems(bare)).toEqual([
      expect.stringMatching(
        /^PUT \/api\/cameras\/:cameraId\/presets\/:presetId: path param :cameraId, :presetId but no examples\.params\. Fix: add examples: \{ params: \(ctx\) => \(\{ cameraId: …, presetId: … \}\) \}/,
      ),
      expect.stringMatching(/: takes a body but has no examples\.body\. Fix: /),
    ]);
    expect(() => exampleOf(bare, 'police')).toThrow(/no examples\.params/);
    const wrongBody = {
      ...bare,
      examples: { params: () => ({ cameraId: 'c', presetId: 'p' }), body: { name: 1 } },
    };
    expect(exampleProblems(wrongBody)).toEqual([
      expect.stringMatching(/examples\.body is refused by its own body schema \(name: /),
    ]);
    const logoutLike = route({
      method: 'post',
      path: '/api/x',
      access: 'signed-in',
      tag: 't',
      summary: 's',
      handle: () => undefined,
    });
    expect(exampleProblems(logoutLike)).toEqual([
      expect.stringMatching(/^POST \/api\/x: takes a body but has no examples\.body/),
    ]);
  });

  for (const spec of walk) {
    it(`${spec.method.toUpperCase()} ${spec.path}: refuses the roles it must, serves the others`, async () => {
      const walked = bodies.length;
      const anonymous = exampleOf(spec, null);
      const anon = await call(spec.method, anonymous.path, undefined, anonymous.body);
      expect(anon.status, 'anonymous').toBe(spec.access === 'public' ? 200 : 401);
      for (const role of ROLES) {
        const { path, body } = exampleOf(spec, role);
        const res = await call(spec.method, path, cookies.get(role), body);
        const user = { username: USER_OF[role], role, name: '', communeId: communeOf(role) };
        expect(res.status, `${role} ${path}: ${res.text.slice(0, 200)}`).toBe(
          allows(spec.access, user) ? 200 : 403,
        );
        if (res.status === 403) expect(res.json().code).toBe('CX_FORBIDDEN');
      }
      // API keys open API-key routes with their scope and nothing else; a revoked key opens nothing.
      for (const { label, key, apiKey } of keys) {
        const res = await call(spec.method, anonymous.path, undefined, anonymous.body, key);
        const expected =
          spec.access === 'public'
            ? 200
            : keyAllows(spec.access, apiKey)
              ? 200
              : isApiKeyAccess(spec.access) && apiKey
                ? 403
                : 401;
        expect(res.status, `key ${label} ${spec.path}: ${res.text.slice(0, 200)}`).toBe(expected);
      }
      // A new secret shown once is the point of these answers; they still carry no hash.
      if (spec.oneTimeSecret)
        for (const text of bodies.splice(walked)) expect(text).not.toMatch(/scrypt\$|sha256\$/);
    });
  }
});

describe('device types by role', () => {
  for (const type of DEVICE_TYPES) {
    it(`${type.kind}: only ${type.audience.join(', ')} may read a device`, async () => {
      const device = [...app.directory.all()].find(
        (d) => d.communeId === 'ta-lai' && d.type.kind === type.kind,
      )!;
      for (const role of ROLES) {
        for (const suffix of ['', '/history', '/telemetry']) {
          const res = await call('get', `/api/devices/${device.id}${suffix}`, cookies.get(role));
          expect(res.status, `${role} ${device.id}${suffix}`).toBe(canSee(role, type.kind) ? 200 : 403);
        }
      }
    });
  }

  it('lists cameras to the police and to nobody else', async () => {
    for (const role of ROLES) {
      const list = (await call('get', '/api/devices', cookies.get(role))).json() as Array<{ type: string }>;
      expect(
        list.some((d) => d.type === 'camera'),
        role,
      ).toBe(role === 'police');
      expect(list.length, role).toBeGreaterThan(0);
    }
  });

  it('writes camera reads to the audit log, which only admins read', async () => {
    await call('get', '/api/devices/tl-cam-01', cookies.get('police'));
    const audit = (await call('get', '/api/audit', cookies.get('admin'))).json() as Array<{
      username: string;
      target: string;
    }>;
    expect(audit.some((a) => a.username === 'congan.talai' && a.target === 'tl-cam-01')).toBe(true);
  });
});

describe("KPI evidence by role: a leader's drill-down never names or places a camera", () => {
  it('follows every evidence link from /api/kpis and the contractors down to sites; camera evidence is 403', async () => {
    const cams = [...app.directory.all()].filter((d) => d.communeId === 'ta-lai' && d.type.sensitive);
    // A site that holds a camera and other devices (the UBND) is named for those; one that holds
    // only cameras would place them.
    const all = [...app.directory.all()];
    const cameraOnly = cams
      .map((c) => c.siteId)
      .filter((s) => all.every((d) => d.siteId !== s || d.type.sensitive));
    const secrets = [...cams.flatMap((c) => [c.id, c.name]), ...cameraOnly];
    for (const role of ROLES) {
      const kpis = await call('get', '/api/kpis?commune=ta-lai', cookies.get(role));
      const evidence = ROUTES.find((r) => r.path === '/api/kpis/:kpiId/evidence')!;
      if (Array.isArray(evidence.access) && evidence.access.includes(role)) {
        expect(canSee(role, 'camera'), role).toBe(false);
        const table = await call('get', '/api/kpis/contractors?commune=ta-lai', cookies.get(role));
        const links: string[] = [
          ...kpis
            .json()[0]
            .figures.map((f: { evidence?: string }) => f.evidence)
            .filter(Boolean),
          ...(table.status === 200 ? table.json()[0].rows.map((r: { evidence: string }) => r.evidence) : []),
        ];
        expect(links.length, role).toBeGreaterThan(0);
        for (const link of links) {
          const top = await call('get', link, cookies.get(role));
          expect(top.status, `${role} ${link}`).toBe(200);
          const hamlets = top.json().children.map((c: { evidence: string }) => c.evidence);
          const bodies = [top.text];
          for (const h of hamlets) {
            const res = await call('get', h, cookies.get(role));
            bodies.push(res.text);
            for (const site of res.json().children as Array<{ evidence: string }>)
              bodies.push((await call('get', site.evidence, cookies.get(role))).text);
          }
          for (const body of bodies)
            for (const s of secrets) expect(body, `${role} ${link}: ${s}`).not.toContain(s);
        }
      }
      for (const cam of cams) {
        const res = await call(
          'get',
          `/api/kpis/tl-kpi-camera-uptime/evidence?scope=device&id=${cam.id}`,
          cookies.get(role),
        );
        expect(res.status, `${role} ${cam.id}`).toBe(403);
      }
    }
  }, 180_000);
});

describe('ingest counters and refusals by role', () => {
  it('shows technicians no camera id, admins every device, the police camera refusals but no unknown clients', async () => {
    const topic = (id: string, ch: string) => `cx/v1/ta-lai/${id}/${ch}`;
    // Camera traffic: accepted, refused by ingest (bad JSON), refused at CONNECT (bad password), and
    // a loudspeaker publishing on a camera's topic (the row names the camera only in its topic).
    const cam = await connectDevice(app, 'tl-cam-01');
    await cam.publishAsync(topic('tl-cam-01', 'heartbeat'), JSON.stringify({ v: 1 }), { qos: 1 });
    await cam.publishAsync(topic('tl-cam-01', 'telemetry'), '{"v":1,', { qos: 0 });
    await cam.endAsync();
    await connectDevice(app, 'tl-cam-02', { password: 'sai' }).catch(() => {});
    const loa = await connectDevice(app, 'tl-loa-01');
    await loa.publishAsync(topic('tl-loa-01', 'heartbeat'), JSON.stringify({ v: 1 }), { qos: 1 });
    await loa.publishAsync(topic('tl-loa-01', 'telemetry'), 'not json', { qos: 0 });
    // Publishing on another device's topic closes the connection (MQTT 3.1.1 cannot refuse one PUBLISH).
    const gone = new Promise<void>((r) => loa.once('close', () => r()));
    loa.publish(topic('tl-cam-03', 'telemetry'), JSON.stringify({ v: 1 }), { qos: 0 });
    await gone;
    loa.end(true);
    await connectDevice(app, 'la-hoan-toan', { password: 'x' }).catch(() => {});
    // Every refusal above is in the log once the last one is (they are recorded in order).
    for (let i = 0; i < 100; i++) {
      const rows = (
        await call('get', '/api/ingest/rejects?limit=500', cookies.get('admin'))
      ).json() as Array<{
        reason: string;
      }>;
      if (rows.some((r) => r.reason === 'unknown-client') && rows.some((r) => r.reason === 'forbidden-topic'))
        break;
      await new Promise((r) => setTimeout(r, 50));
    }

    const read = async (role: Role) => ({
      stats: (await call('get', '/api/ingest/stats', cookies.get(role))).json() as {
        acceptedByDevice: Record<string, number>;
        rejectsByReason: Array<{ reason: string; deviceId: string; count: number }>;
        visible: { communeId: string | null; accepted: number; refused: number };
      },
      rejects: (await call('get', '/api/ingest/rejects?limit=500', cookies.get(role))).json() as Array<{
        reason: string;
        deviceId: string | null;
        clientId: string | null;
        topic: string | null;
        detail: string | null;
      }>,
    });
    const tech = await read('technician');
    expect(JSON.stringify(tech)).not.toContain('tl-cam-');
    expect(tech.stats.acceptedByDevice['tl-loa-01']).toBeGreaterThan(0);
    expect(tech.rejects.some((r) => r.deviceId === 'tl-loa-01' && r.reason === 'malformed-json')).toBe(true);
    expect(tech.rejects.some((r) => r.reason === 'unknown-client')).toBe(true);
    // The card and the list are one source: the total is the list's sum.
    for (const s of [tech.stats]) {
      expect(s.visible.refused).toBe(s.rejectsByReason.reduce((a, r) => a + r.count, 0));
      expect(s.visible.accepted).toBe(Object.values(s.acceptedByDevice).reduce((a, n) => a + n, 0));
      expect(s.visible.communeId).toBe('ta-lai');
    }

    const admin = await read('admin');
    expect(admin.stats.acceptedByDevice['tl-cam-01']).toBeGreaterThan(0);
    expect(
      admin.stats.rejectsByReason.some((r) => r.deviceId === 'tl-cam-02' && r.reason === 'bad-password'),
    ).toBe(true);
    expect(admin.rejects.some((r) => r.topic === topic('tl-cam-03', 'telemetry'))).toBe(true);
    expect(admin.rejects.some((r) => r.reason === 'unknown-client')).toBe(true);

    const police = (
      await call('get', '/api/ingest/rejects?limit=500', cookies.get('police'))
    ).json() as Array<{
      reason: string;
      deviceId: string | null;
    }>;
    expect(police.some((r) => r.deviceId === 'tl-cam-01' && r.reason === 'malformed-json')).toBe(true);
    expect(police.some((r) => r.reason === 'unknown-client' || r.deviceId === 'tl-loa-01')).toBe(false);
  });
});

/**
 * One request sent exactly as spelt (fetch would normalise `/./` and the like away), with a
 * session cookie or an API key. An event stream is cut after its status.
 */
function rawCall(method: string, path: string, cookie?: string, body?: unknown, bearer?: string) {
  const url = new URL(app.apiUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: method.toUpperCase(),
        path,
        headers: {
          ...(cookie ? { cookie } : {}),
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        if (res.headers['content-type']?.includes('event-stream')) {
          res.destroy();
          return resolve({ status: res.statusCode!, text: '' });
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          bodies.push(text);
          resolve({ status: res.statusCode!, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Other spellings of a route's example path. `same`: the same resource, which must get the
 * canonical answer (%2D is `-`, and Express decodes params). `strict`: not the route's spelling;
 * the app routes strictly (case, trailing slash) and answers 404. A matrix param is neither: after
 * a path param it becomes part of the param's value (no such device: 404, or the route's refusal).
 */
function spellings(
  spec: RouteSpec,
  path: string,
): Array<{ name: string; path: string; same?: boolean; strict?: boolean }> {
  const upper = path
    .split('/')
    .map((seg, i) => (spec.path.split('/')[i]?.startsWith(':') ? seg : seg.toUpperCase()))
    .join('/');
  const dashed = path
    .split('/')
    .map((seg, i) => (spec.path.split('/')[i]?.startsWith(':') ? seg.replaceAll('-', '%2D') : seg))
    .join('/');
  return [
    { name: 'upper case', path: upper, strict: true },
    { name: 'trailing slash', path: `${path}/`, strict: true },
    { name: 'doubled slash', path: path.replace('/api/', '/api//'), strict: true },
    { name: 'leading doubled slash', path: `/${path}`, strict: true },
    { name: 'dot segment', path: path.replace('/api/', '/api/./'), strict: true },
    { name: 'matrix param', path: `${path};x=1` },
    ...(dashed !== path ? [{ name: '%2D for -', path: dashed, same: true }] : []),
  ];
}

describe('path spellings never open more than the route', () => {
  // Sign-in, sign-out and the password change take the caller's own password (or end the session
  // the walk goes on with): test/integration/accounts.test.ts covers them.
  const walk = ROUTES.filter(
    (r) => r.path !== '/api/auth/login' && r.path !== '/api/auth/logout' && r.path !== '/api/auth/password',
  );
  for (const spec of walk) {
    it(`${spec.method.toUpperCase()} ${spec.path}: every spelling, every role, every key`, async () => {
      const walked = bodies.length;
      const callers = [
        { who: 'anonymous', role: null, cookie: undefined, key: undefined },
        ...ROLES.map((role) => ({ who: role, role, cookie: cookies.get(role), key: undefined })),
        ...keys.map((k) => ({ who: `key ${k.label}`, role: null, cookie: undefined, key: k.key })),
      ];
      for (const c of callers) {
        const { path, body } = exampleOf(spec, c.role);
        const canonical = await rawCall(spec.method, path, c.cookie, body, c.key);
        for (const v of spellings(spec, path)) {
          const res = await rawCall(spec.method, v.path, c.cookie, body, c.key);
          const what = `${c.who} ${spec.method.toUpperCase()} ${v.path} (${v.name}; canonical ${canonical.status}): ${res.text.slice(0, 200)}`;
          if (v.same) expect(res.status, what).toBe(canonical.status);
          else expect([401, 403, 404], what).toContain(res.status);
          if (v.strict) {
            expect(res.status, what).toBe(404);
            expect(JSON.parse(res.text).code, what).toBe('CX_NOT_FOUND');
          }
          expect(res.text, what).not.toMatch(/scrypt\$|sha256\$/);
        }
      }
      // A new secret shown once is the point of these answers (checked for hashes above).
      if (spec.oneTimeSecret) bodies.splice(walked);
    });
  }
});

describe('sign-in and secrets', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and never returns a hash', async () => {
    const res = await fetch(`${app.apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'kythuat.talai', password: app.userPasswords.get('kythuat.talai') }),
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const body = await res.text();
    expect(body).not.toMatch(/scrypt|hash|password/i);
  });

  it('refuses a wrong password with a Vietnamese message, and throttles repeated failures', async () => {
    const first = await call('post', '/api/auth/login', undefined, {
      username: 'lanhdao.talai',
      password: 'sai-mat-khau',
    });
    expect(first.status).toBe(401);
    expect(first.json()).toMatchObject({ code: 'CX_BAD_LOGIN', message: 'Sai tên đăng nhập hoặc mật khẩu.' });
    let last = first;
    for (let i = 0; i < 10; i++)
      last = await call('post', '/api/auth/login', undefined, {
        username: 'lanhdao.talai',
        password: `sai-${i}`,
      });
    expect(last.status).toBe(429);
    expect(last.json().code).toBe('CX_TOO_MANY_LOGINS');
  });

  it('answers invalid input with 400 and the failing fields', async () => {
    const res = await call('post', '/api/devices/tl-wifi-ubnd/maintenance', cookies.get('technician'), {
      on: 'yes',
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code: 'CX_BAD_REQUEST', fields: { on: expect.any(String) } });
  });

  it('never put a password hash, a device secret or a session token in any response', () => {
    const secrets = [
      ...app.devicePasswords.values(),
      ...app.userPasswords.values(),
      ...keys.map((k) => k.key),
    ];
    // One text, searched once per secret: a check per response and secret (thousands of each
    // since the path spellings) held the event loop for seconds.
    const all = bodies.join('\n');
    expect(all).not.toMatch(/scrypt\$|sha256\$/);
    for (const s of secrets) expect(all.includes(s), 'a secret in a response').toBe(false);
  });

  it('describes every route in the OpenAPI document', async () => {
    const doc = (await call('get', '/api/openapi.json')).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const r of ROUTES)
      expect(doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method], `${r.method} ${r.path}`).toBeDefined();
    // Body examples come from the route table.
    const maintenance = doc.paths['/api/devices/{id}/maintenance']?.post as {
      requestBody: { content: Record<string, { example?: unknown }> };
    };
    expect(maintenance.requestBody.content['application/json']?.example).toEqual({ on: false });
  });
});

describe('maintenance windows by role', () => {
  const once = () => ({ kind: 'once', startTs: Date.now() + 3_600_000, untilTs: Date.now() + 7_200_000 });
  const add = (role: Role, scope: { kind: string; id: string }) =>
    call('post', '/api/maintenance/windows', cookies.get(role), {
      scope,
      reason: 'Kiểm tra quyền',
      schedule: once(),
    });
  const firstOf = (type: string) =>
    [...app.directory.all()].find((d) => d.communeId === 'ta-lai' && d.type.kind === type)!.id;

  it('refuses a technician a camera and economics anything but farm sensors; a place covers only what the role sees', async () => {
    expect((await add('technician', { kind: 'device', id: firstOf('camera') })).status).toBe(403);
    expect((await add('admin', { kind: 'device', id: firstOf('camera') })).status).toBe(403);
    expect((await add('economics', { kind: 'device', id: firstOf('wifi-ap') })).status).toBe(403);
    expect((await add('economics', { kind: 'device', id: firstOf('soil-sensor') })).status).toBe(200);
    expect((await add('police', { kind: 'device', id: firstOf('camera') })).status).toBe(200);
    const covered = async (role: Role) =>
      (
        (await add(role, { kind: 'hamlet', id: 'tl-ap-12' })).json() as { devices: Array<{ type: string }> }
      ).devices
        .map((d) => d.type)
        .sort();
    expect(await covered('technician')).toEqual(['loudspeaker', 'soil-sensor', 'soil-sensor']);
    expect(await covered('economics')).toEqual(['soil-sensor', 'soil-sensor']);
    expect(await covered('police')).toEqual(['camera']);
  });

  it("refuses a technician the police's camera window and a camera in their own; economics may not end theirs", async () => {
    const cam = (await (await add('police', { kind: 'device', id: firstOf('camera') })).json()) as {
      id: number;
    };
    const own = (await (await add('technician', { kind: 'device', id: firstOf('loudspeaker') })).json()) as {
      id: number;
    };
    const edit = (role: Role, id: number, scope: { kind: string; id: string }) =>
      call('post', '/api/maintenance/windows/edit', cookies.get(role), {
        id,
        scope,
        reason: 'Kiểm tra quyền',
        schedule: once(),
      });
    const loa = { kind: 'device', id: firstOf('loudspeaker') };
    expect((await edit('technician', cam.id, loa)).json()).toEqual({ id: cam.id, result: 'forbidden' });
    expect((await edit('technician', own.id, { kind: 'device', id: firstOf('camera') })).status).toBe(403);
    expect((await edit('technician', own.id, loa)).json()).toMatchObject({ id: own.id, result: 'edited' });
    const end = (role: Role, id: number) =>
      call('post', '/api/maintenance/windows/end', cookies.get(role), { ids: [id] });
    expect((await end('economics', own.id)).json()).toEqual([{ id: own.id, result: 'forbidden' }]);
    expect((await end('technician', own.id)).json()).toEqual([{ id: own.id, result: 'not-running' }]);
  });
});
