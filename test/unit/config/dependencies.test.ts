/**
 * Who reports for a device (`reportedBy`) and what it depends on (`dependsOn`) are separate
 * facts; `behind` is the old alias for both. Bad references are refused at load with file, path
 * and fix.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, communeProblems, loadConfig } from '../../../config/load.ts';
import { type CommuneFile, CommuneFileSchema } from '../../../config/schema/commune.ts';
import { DeviceDirectory } from '../../../services/inventory/device-directory.ts';

type RawDevice = Record<string, unknown>;

/** A commune with an uplink, a probe host, a camera, two LoRa gateways and a sensor; `extra` added. */
function raw(id: string, prefix: string, extra: RawDevice[] = []) {
  const dev = (d: string, type: string, more: RawDevice = {}) => ({
    id: `${prefix}-${d}`,
    type,
    name: `Thiết bị ${d}`,
    site: `${prefix}-ubnd`,
    installedAt: '2026-01-05',
    ...more,
  });
  return {
    commune: { id, name: 'Xã Thử', province: 'Đồng Nai', center: { lat: 11.37, lon: 107.37 } },
    hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
    sites: [
      {
        id: `${prefix}-ubnd`,
        name: 'UBND xã',
        kind: 'ubnd',
        hamlet: 'ap-1',
        location: { lat: 11.37, lon: 107.37 },
        uplink: `${prefix}-net`,
      },
    ],
    devices: [
      dev('net', 'uplink'),
      dev('probe', 'gateway'),
      dev('cam', 'camera', { reportedBy: [`${prefix}-probe`] }),
      dev('gw1', 'gateway'),
      dev('gw2', 'gateway'),
      dev('soil', 'soil-sensor', {
        reportedBy: [`${prefix}-gw1`, `${prefix}-gw2`],
        dependsOn: [`${prefix}-gw1`, `${prefix}-gw2`],
      }),
      dev('old', 'soil-sensor', { behind: `${prefix}-gw1` }),
      ...extra,
    ],
  };
}

const parse = (c: unknown): CommuneFile => CommuneFileSchema.parse(c);
const FILE = 'config/communes/thu.yaml';

describe('reportedBy and dependsOn in the directory', () => {
  const dir = new DeviceDirectory({ communes: [parse(raw('thu', 'th'))] });

  it('keeps the site uplink as the dependency of a device that only names a reporter', () => {
    expect(dir.get('th-cam')).toMatchObject({ reportedBy: ['th-probe'], upstreamIds: ['th-net'] });
    expect(dir.get('th-probe')?.reportsFor).toEqual(['th-cam']);
  });

  it('lists several reporters and several upstreams', () => {
    expect(dir.get('th-soil')).toMatchObject({
      reportedBy: ['th-gw1', 'th-gw2'],
      upstreamIds: ['th-gw1', 'th-gw2'],
      upstreamId: 'th-gw1',
    });
    expect(dir.get('th-gw2')?.reportsFor).toEqual(['th-soil']);
  });

  it('reads the deprecated behind as both reporter and only dependency', () => {
    expect(dir.get('th-old')).toMatchObject({ reportedBy: ['th-gw1'], upstreamIds: ['th-gw1'] });
    expect(dir.get('th-gw1')?.reportsFor).toEqual(['th-soil', 'th-old']);
  });
});

describe('reportedBy and dependsOn validation', () => {
  it('accepts the valid commune', () => {
    expect(communeProblems(FILE, parse(raw('thu', 'th')))).toEqual([]);
  });

  it('names the file, the path and the fix for unknown ids', () => {
    const c = raw('thu', 'th', [
      {
        id: 'th-x',
        type: 'camera',
        name: 'X',
        site: 'th-ubnd',
        installedAt: '2026-01-05',
        reportedBy: ['th-ghost'],
      },
      {
        id: 'th-y',
        type: 'camera',
        name: 'Y',
        site: 'th-ubnd',
        installedAt: '2026-01-05',
        dependsOn: ['th-net', 'th-nope'],
      },
    ]);
    const problems = communeProblems(FILE, parse(c));
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^config\/communes\/thu\.yaml: devices\[7\]\.reportedBy\[0\] — "th-ghost" is not a device of this commune.*Fix: name an adapter or gateway device of this commune\.$/,
      ),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^config\/communes\/thu\.yaml: devices\[8\]\.dependsOn\[1\] — "th-nope" is not a device of this commune\. Fix: /,
      ),
    );
  });

  it('refuses a device naming itself and behind mixed with the new fields', () => {
    const c = raw('thu', 'th', [
      {
        id: 'th-z',
        type: 'camera',
        name: 'Z',
        site: 'th-ubnd',
        installedAt: '2026-01-05',
        reportedBy: ['th-z'],
      },
      {
        id: 'th-w',
        type: 'camera',
        name: 'W',
        site: 'th-ubnd',
        installedAt: '2026-01-05',
        behind: 'th-net',
        dependsOn: ['th-net'],
      },
    ]);
    const problems = communeProblems(FILE, parse(c));
    expect(problems).toContainEqual(
      expect.stringContaining('devices[7].reportedBy[0] — a device cannot name itself here'),
    );
    expect(problems).toContainEqual(
      expect.stringContaining('devices[8].behind — given with reportedBy or dependsOn'),
    );
  });

  it('refuses a dependency cycle, the site uplink included', () => {
    // The uplink depends on the gateway, which by default depends on the site's uplink.
    const c = raw('thu', 'th');
    c.devices[0] = { ...c.devices[0]!, dependsOn: ['th-gw1'] } as (typeof c.devices)[number];
    const problems = communeProblems(FILE, parse(c));
    const cycle = problems.filter((p) => p.includes('dependency cycle'));
    expect(cycle).toHaveLength(1);
    expect(cycle[0]).toMatch(/th-net → th-gw1 → th-net.*Fix: /);
  });

  it('refuses a reporter from another commune at load, saying it must be in the same commune', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-deps-'));
    try {
      mkdirSync(join(dir, 'communes'));
      writeFileSync(join(dir, 'canhxa.yaml'), stringify({ dataDir: './data', communesDir: './communes' }));
      const thu = raw('thu', 'th', [
        {
          id: 'th-v',
          type: 'camera',
          name: 'V',
          site: 'th-ubnd',
          installedAt: '2026-01-05',
          reportedBy: ['ha-probe'],
        },
      ]);
      writeFileSync(join(dir, 'communes', 'thu.yaml'), stringify(thu));
      writeFileSync(join(dir, 'communes', 'hai.yaml'), stringify(raw('hai', 'ha')));
      let problems: readonly string[] = [];
      try {
        loadConfig(join(dir, 'canhxa.yaml'), {});
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        problems = (err as ConfigError).problems;
      }
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /thu\.yaml:\d+:\d+: devices\[7\]\.reportedBy\[0\] — "ha-probe" is not a device of this commune \(a reporter must be in the same commune as the device.*\)\. Fix: /,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
