import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { communeDoc } from '../../fixtures/mini-commune.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function problems(communeAlerts: unknown, user: Record<string, unknown> = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cx-windows-config-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'communes'));
  const doc = communeDoc({
    devices: [{ id: 'net-1', type: 'uplink' }],
    users: [{ username: 'kythuat.thu', name: 'Kỹ thuật', role: 'technician', ...user }],
    extra: { alerts: communeAlerts },
  });
  writeFileSync(join(dir, 'communes', 'xa-thu.yaml'), stringify(doc));
  writeFileSync(join(dir, 'canhxa.yaml'), stringify({ dataDir: dir, communesDir: './communes' }));
  try {
    loadConfig(join(dir, 'canhxa.yaml'), {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('windows, quiet hours and digest in the commune file', () => {
  it("takes a weekly window, quiet hours, a user's own quiet hours and a digest", () => {
    expect(
      problems(
        {
          windows: [
            {
              id: 'dem-thu-ba',
              scope: { kind: 'device', id: 'net-1' },
              reason: 'Nhà mạng bảo trì đêm thứ Ba',
              schedule: { kind: 'weekly', days: ['tue'], at: '22:00', durationMin: 240 },
            },
          ],
          quietHours: { start: '22:00', end: '06:00', exemptDeviceTypes: ['camera', 'uplink'] },
          digest: { at: '07:00', users: ['kythuat.thu'] },
        },
        { quietHours: { start: '21:00', end: '05:30' } },
      ),
    ).toEqual([]);
  });

  it('refuses a window on an unknown place, a bad time, an unknown device type and an unknown digest user, naming file, path and fix', () => {
    const p = problems({
      windows: [
        {
          id: 'a',
          scope: { kind: 'hamlet', id: 'ap-9' },
          reason: 'x',
          schedule: { kind: 'daily', at: '01:00', durationMin: 30 },
        },
        {
          id: 'b',
          scope: { kind: 'device', id: 'net-1' },
          reason: 'x',
          schedule: { kind: 'daily', at: '25:00', durationMin: 30 },
        },
      ],
      quietHours: { start: '22:00', end: '06:00', exemptDeviceTypes: ['drone'] },
      digest: { users: ['ai-do'] },
    });
    expect(p.join('\n')).toMatch(/xa-thu\.yaml(:\d+:\d+)?: alerts\.windows\[1\]\.schedule\.at — .*HH:MM/);
    // The cross-checks run once the file's shapes are right.
    const q = problems({
      windows: [
        {
          id: 'a',
          scope: { kind: 'hamlet', id: 'ap-9' },
          reason: 'x',
          schedule: { kind: 'daily', at: '01:00', durationMin: 30 },
        },
      ],
      quietHours: { start: '22:00', end: '06:00', exemptDeviceTypes: ['drone'] },
      digest: { users: ['ai-do'] },
    });
    expect(q).toEqual([
      expect.stringMatching(
        /xa-thu\.yaml: alerts\.windows\[0\]\.scope\.id — "ap-9" is not a hamlet of this commune\. Fix: use an id of hamlets:\./,
      ),
      expect.stringMatching(
        /alerts\.quietHours\.exemptDeviceTypes\[0\] — "drone" is not a device type\. Fix: use one of /,
      ),
      expect.stringMatching(/alerts\.digest\.users\[0\] — "ai-do" is not a user of this commune\. Fix: /),
    ]);
  });
});
