import { describe, expect, it } from 'vitest';
import { cameraExtras } from '../../../services/alerts/routing.ts';
import { isCameraMaintainer } from '../../../services/api/visibility.ts';
import type { User } from '../../../services/auth/users.ts';
import { isCameraMaintainerOf } from '../../../services/inventory/camera-maintainers.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

/** One maintainer marked on the user, one listed under alerts (the older key), one listed leader. */
const c = buildCommune({
  devices: [{ id: 'cam-1', type: 'camera' }],
  users: [
    { username: 'flagged.kt', name: 'KT A', role: 'technician', cameraMaintainer: true },
    { username: 'listed.kt', name: 'KT B', role: 'technician' },
    { username: 'other.kt', name: 'KT C', role: 'technician' },
    { username: 'lanhdao', name: 'Lãnh đạo', role: 'leader' },
  ],
  extra: { alerts: { cameraMaintainers: ['listed.kt', 'lanhdao'] } },
});

const user = (username: string, role: User['role']) => ({ username, role, communeId: 'xa-thu' }) as User;

describe('camera maintainers: one answer for the health page and the alerts', () => {
  it('either key of the commune file makes a technician one, and nothing makes anyone else one', () => {
    expect(c.users.map((u) => isCameraMaintainerOf(c, u.username))).toEqual([true, true, false, false]);
    expect(isCameraMaintainerOf(c, 'nobody')).toBe(false);
    expect(isCameraMaintainerOf(undefined, 'flagged.kt')).toBe(false);
  });

  it('who sees camera health is who is told of camera outages', () => {
    const deps = { config: { communes: [c] } } as unknown as Parameters<typeof isCameraMaintainer>[0];
    const sees = c.users.filter((u) => isCameraMaintainer(deps, user(u.username, u.role)));
    const told = cameraExtras(c, { type: 'camera' } as Parameters<typeof cameraExtras>[1], 0);
    expect(sees.map((u) => u.username)).toEqual(['flagged.kt', 'listed.kt']);
    expect(told.map((u) => u.username)).toEqual(['flagged.kt', 'listed.kt']);
  });
});
