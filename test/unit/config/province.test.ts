/**
 * The deployment-level configuration added for many communes: the second sample commune, the
 * province users of the service file and the IOC webhooks, each refused at the edge with a fix.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { embeddedGatewayId } from '../../../config/probe-targets.ts';
import { COMMUNE_ROLES } from '../../../config/schema/commune.ts';
import { DEVICE_TYPES } from '../../../services/device-types/registry.ts';

const SHIPPED = fileURLToPath(new URL('../../../config/canhxa.yaml', import.meta.url));

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function commune(id: string, prefix: string, users: object[]) {
  return {
    commune: { id, name: `Xã ${id}`, province: 'Đồng Nai', center: { lat: 11.37, lon: 107.37 } },
    hamlets: [{ id: `${prefix}-ap-01`, name: 'Ấp 1' }],
    sites: [
      {
        id: `${prefix}-ubnd`,
        name: 'UBND',
        kind: 'ubnd',
        hamlet: `${prefix}-ap-01`,
        location: { lat: 11.37, lon: 107.37 },
      },
    ],
    devices: [
      {
        id: `${prefix}-loa-01`,
        type: 'loudspeaker',
        name: 'Loa',
        site: `${prefix}-ubnd`,
        installedAt: '2026-06-01',
      },
    ],
    users,
  };
}

function problemsOf(
  service: object,
  communes: Record<string, object> = { 'a.yaml': commune('xa-a', 'a', []) },
): readonly string[] {
  const dir = mkdtempSync(join(tmpdir(), 'canhxa-province-'));
  made.push(dir);
  mkdirSync(join(dir, 'communes'));
  for (const [name, c] of Object.entries(communes)) writeFileSync(join(dir, 'communes', name), stringify(c));
  writeFileSync(join(dir, 'canhxa.yaml'), stringify({ communesDir: './communes', ...service }));
  try {
    loadConfig(join(dir, 'canhxa.yaml'), {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const webhook = (over: object = {}) => ({
  name: 'ioc-dong-nai',
  url: 'https://ioc.dongnai.gov.vn/hooks/canhxa',
  secret: '0123456789abcdef0123456789abcdef',
  events: ['state', 'summary'],
  ...over,
});

describe('shipped deployment: two communes and a province user', () => {
  const config = loadConfig(SHIPPED, {});
  const locTan = config.communes.find((c) => c.commune.id === 'loc-tan')!;

  it('has Xã Lộc Tấn beside Xã Tà Lài, in Đồng Nai', () => {
    expect(config.communes.map((c) => c.commune.id).sort()).toEqual(['loc-tan', 'ta-lai']);
    expect(locTan.commune).toMatchObject({ name: 'Xã Lộc Tấn', province: 'Đồng Nai' });
    expect(locTan.hamlets).toHaveLength(8);
  });

  it('gives Lộc Tấn ~20 devices of every type, prefixed "lt-" and traced to its plan', () => {
    expect(locTan.devices.length).toBeGreaterThanOrEqual(20);
    const kinds = new Set(locTan.devices.map((d) => d.type));
    for (const t of DEVICE_TYPES) expect(kinds, `no ${t.kind}`).toContain(t.kind);
    // Its built-in probe gateway (loc-tan-probe) is the service's, not the commune's purchase.
    for (const d of locTan.devices.filter((d) => d.id !== embeddedGatewayId('loc-tan'))) {
      expect(d.id).toMatch(/^lt-/);
      expect(d.budgetLine, d.id).toMatch(/^Mục /);
    }
    // A loudspeaker cluster in every hamlet.
    const sites = new Map(locTan.sites.map((s) => [s.id, s.hamlet]));
    const withLoa = new Set(
      locTan.devices.filter((d) => d.type === 'loudspeaker').map((d) => sites.get(d.site)),
    );
    expect(withLoa.size).toBe(locTan.hamlets.length);
  });

  it('gives Lộc Tấn a user per commune role, KPI targets, and the province one login', () => {
    expect(new Set(locTan.users.map((u) => u.role))).toEqual(new Set(COMMUNE_ROLES));
    expect(locTan.users.every((u) => u.username.endsWith('.loctan'))).toBe(true);
    expect(locTan.kpiTargets.length).toBeGreaterThanOrEqual(4);
    expect(config.service.users).toEqual([
      expect.objectContaining({ username: 'tinh.dongnai', role: 'province' }),
    ]);
    expect(config.service.ioc.webhooks).toEqual([]);
  });
});

describe('province users and IOC webhooks refused at the edge', () => {
  it('refuses a province user in a commune file, saying where it belongs', () => {
    const problems = problemsOf(
      {},
      { 'a.yaml': commune('xa-a', 'a', [{ username: 'tinh.a', name: 'Tỉnh', role: 'province' }]) },
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/a\.yaml:\d+:\d+: users\[0\]\.role/);
    expect(problems[0]).toContain('listed in the service file (users:)');
  });

  it('refuses a commune role in the service file', () => {
    const problems = problemsOf({ users: [{ username: 'tinh.a', name: 'Tỉnh', role: 'admin' }] });
    expect(problems[0]).toMatch(/canhxa\.yaml:\d+:\d+: users\[0\]\.role/);
  });

  it('refuses a province user named like a commune user', () => {
    const problems = problemsOf(
      { users: [{ username: 'quantri.a', name: 'Tỉnh', role: 'province' }] },
      { 'a.yaml': commune('xa-a', 'a', [{ username: 'quantri.a', name: 'Quản trị', role: 'admin' }]) },
    );
    expect(problems).toEqual([
      expect.stringContaining('users[0].username — "quantri.a" is already a user of commune xa-a'),
    ]);
  });

  it('refuses a short webhook secret without echoing it', () => {
    const problems = problemsOf({ ioc: { webhooks: [webhook({ secret: 'ngan-qua' })] } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('ioc.webhooks[0].secret');
    expect(problems[0]).toContain('at least 32 characters');
    expect(problems[0]).not.toContain('ngan-qua');
  });

  it('refuses a webhook URL that is not http(s), an unknown event and an unknown commune', () => {
    const problems = problemsOf({
      ioc: {
        webhooks: [
          webhook({ url: 'ftp://ioc.example/x' }),
          webhook({ name: 'b', events: ['camera'] }),
          webhook({ name: 'c', communes: ['xa-b'] }),
        ],
      },
    });
    expect(problems.find((p) => p.includes('ioc.webhooks[0].url'))).toContain('http:// or https://');
    expect(problems.find((p) => p.includes('ioc.webhooks[1].events[0]'))).toContain(
      'use one of: "state", "summary"',
    );
    // Reference checks run once the schema passes, so this one is a second run.
    const refs = problemsOf({ ioc: { webhooks: [webhook({ communes: ['xa-b'] }), webhook()] } });
    expect(refs).toEqual([
      expect.stringContaining(
        'ioc.webhooks[0].communes[0] — "xa-b" is not a commune of this deployment. Fix: use one of xa-a.',
      ),
      expect.stringContaining('ioc.webhooks[1].name — "ioc-dong-nai" is used twice'),
    ]);
  });
});
