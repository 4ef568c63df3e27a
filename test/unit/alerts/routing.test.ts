import { describe, expect, it } from 'vitest';
import { alertsProblems } from '../../../config/alerts.ts';
import { ServiceConfigSchema } from '../../../config/schema/service.ts';
import type { DeviceFacts } from '../../../services/alerts/conditions.ts';
import { cameraExtras, recipients, stepsFor } from '../../../services/alerts/routing.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

const VNPT = 'VNPT Đồng Nai';
const VIETTEL = 'Viettel Đồng Nai';

/**
 * Two hamlets; Wi-Fi and a camera by VNPT, a loudspeaker by Viettel, a soil sensor by nobody.
 * Technicians of each contractor, the commune's own technician, the police, economics, a leader.
 */
function commune(notify: unknown[], extra: Record<string, unknown> = {}) {
  return buildCommune({
    hamlets: [
      { id: 'ap-1', name: 'Ấp 1' },
      { id: 'ap-2', name: 'Ấp 2' },
    ],
    sites: [
      { id: 's1', name: 'NVH ấp 1', kind: 'cultural-house', hamlet: 'ap-1' },
      { id: 's2', name: 'NVH ấp 2', kind: 'cultural-house', hamlet: 'ap-2' },
    ],
    devices: [
      { id: 'wifi-1', type: 'wifi-ap', site: 's1', contractor: VNPT },
      { id: 'cam-1', type: 'camera', site: 's1', contractor: VNPT },
      { id: 'loa-2', type: 'loudspeaker', site: 's2', contractor: VIETTEL },
      { id: 'soil-2', type: 'soil-sensor', site: 's2' },
    ],
    users: [
      { username: 'vnpt.kt', name: 'KT VNPT', role: 'technician', contractor: VNPT },
      { username: 'viettel.kt', name: 'KT Viettel', role: 'technician', contractor: VIETTEL },
      { username: 'xa.kt', name: 'KT xã', role: 'technician' },
      { username: 'congan', name: 'Công an', role: 'police' },
      { username: 'kinhte', name: 'Kinh tế', role: 'economics' },
      { username: 'lanhdao', name: 'Lãnh đạo', role: 'leader' },
    ],
    extra: { alerts: { notify, ...extra } },
  });
}

function facts(c: ReturnType<typeof commune>, id: string): DeviceFacts {
  const d = c.devices.find((x) => x.id === id)!;
  const site = c.sites.find((s) => s.id === d.site)!;
  return { id, type: d.type, siteId: site.id, hamletId: site.hamlet, contractor: d.contractor };
}

const names = (us: Array<{ username: string }>) => us.map((u) => u.username).sort();

describe('alert routing', () => {
  it("a step with deviceContractor tells only the device's own contractor's technicians", () => {
    const c = commune([
      { roles: ['technician'], deviceContractor: true },
      { roles: ['technician', 'leader'] },
    ]);
    expect(names(recipients(c, facts(c, 'wifi-1'), 0))).toEqual(['vnpt.kt']);
    expect(names(recipients(c, facts(c, 'loa-2'), 0))).toEqual(['viettel.kt']);
    // The next step (escalation) reaches the commune's own technician and the leader as well.
    expect(names(recipients(c, facts(c, 'loa-2'), 1))).toEqual(['lanhdao', 'viettel.kt', 'vnpt.kt', 'xa.kt']);
  });

  it('a device with no contractor skips the contractor step: its first step is the next one', () => {
    const c = commune([
      { roles: ['technician'], deviceContractor: true },
      { roles: ['technician', 'economics'] },
    ]);
    const soil = facts(c, 'soil-2');
    expect(stepsFor(c, soil)).toHaveLength(1);
    expect(names(recipients(c, soil, 0))).toEqual(['kinhte', 'viettel.kt', 'vnpt.kt', 'xa.kt']);
  });

  it('routes by role, device type, hamlet and contractor scopes', () => {
    const c = commune([
      { roles: ['economics'], deviceTypes: ['soil-sensor'] },
      { users: ['xa.kt'], hamlets: ['ap-2'] },
      { roles: ['technician'], contractors: [VIETTEL] },
      { roles: ['leader'] },
    ]);
    // Soil sensor (ap-2, no contractor): economics, then the hamlet's technician, then the leader.
    expect(stepsFor(c, facts(c, 'soil-2')).length).toBe(3);
    expect(names(recipients(c, facts(c, 'soil-2'), 0))).toEqual(['kinhte']);
    expect(names(recipients(c, facts(c, 'soil-2'), 1))).toEqual(['xa.kt']);
    // Loudspeaker (ap-2, Viettel): the hamlet step, then every technician for a Viettel device.
    expect(names(recipients(c, facts(c, 'loa-2'), 0))).toEqual(['xa.kt']);
    expect(names(recipients(c, facts(c, 'loa-2'), 1))).toEqual(['viettel.kt', 'vnpt.kt', 'xa.kt']);
    // Wi-Fi (ap-1, VNPT): neither the hamlet nor the Viettel step; the leader alone.
    expect(stepsFor(c, facts(c, 'wifi-1')).length).toBe(1);
    expect(names(recipients(c, facts(c, 'wifi-1'), 0))).toEqual(['lanhdao']);
  });

  it("a camera goes only to the police and the camera maintainers, even through its contractor's step", () => {
    const c = commune([{ roles: ['technician', 'police'], deviceContractor: true }, { roles: ['police'] }], {
      cameraMaintainers: ['vnpt.kt'],
    });
    const cam = facts(c, 'cam-1');
    // The police have no contractor, so the contractor step names only VNPT's technician, who is a
    // camera maintainer here; without being one they would not be told.
    expect(names([...recipients(c, cam, 0), ...cameraExtras(c, cam, 0)])).toEqual(['vnpt.kt', 'vnpt.kt']);
    expect(names(recipients(c, cam, 1))).toEqual(['congan']);
    const noMaintainer = commune([{ roles: ['technician'], deviceContractor: true }]);
    expect(recipients(noMaintainer, facts(noMaintainer, 'cam-1'), 0)).toEqual([]);
  });

  it('a contractor named in routing or on a user that no device has is refused with file, path and fix', () => {
    const c = commune([{ roles: ['technician'], contractors: ['VNTP Đồng Nai'] }]);
    const bad = { ...c, users: [...c.users, { ...c.users[0]!, username: 'x.kt', contractor: 'FPT' }] };
    const { problems } = alertsProblems(
      'canhxa.yaml',
      ServiceConfigSchema.parse({}),
      [{ file: 'communes/xa-thu.yaml', commune: bad }],
      '/nonexistent',
      {},
    );
    expect(problems).toEqual([
      `communes/xa-thu.yaml: alerts.notify[0].contractors[0] — "VNTP Đồng Nai" is no device's contractor in this commune. Fix: spell it as a device's contractor: (${VNPT}, ${VIETTEL}).`,
      `communes/xa-thu.yaml: users[6].contractor — "FPT" is no device's contractor in this commune. Fix: spell it as a device's contractor: (${VNPT}, ${VIETTEL}).`,
    ]);
  });
});
