import { describe, expect, it } from 'vitest';
import type { DeviceState } from '../../../services/availability/states.ts';
import { groupOutages, type OutageDeviceInput } from '../../../services/outages/group.ts';

function dev(
  id: string,
  state: DeviceState,
  reason = 'heartbeat',
  params: Record<string, string | number> = {},
  sinceTs: number | null = 1000,
): OutageDeviceInput {
  return {
    id,
    name: `Thiết bị ${id}`,
    type: id.startsWith('net') ? 'uplink' : 'loudspeaker',
    state,
    reason,
    params,
    sinceTs,
    hamletId: 'ap-4',
    hamletName: 'Ấp 4',
    siteId: 'nvh-4',
    siteName: 'Nhà văn hóa ấp 4',
  };
}
const behindNet = (id: string, state: DeviceState, since = 2000) =>
  dev(id, state, 'upstream-down', { deviceId: 'net', name: 'Cáp quang', type: 'uplink' }, since);

describe('groupOutages', () => {
  it('lists the devices behind a down line under that line: one outage, not one per device', () => {
    const groups = groupOutages([
      dev('net', 'down', 'http-refused', { host: '127.0.0.1' }, 1500),
      behindNet('b', 'unreachable'),
      behindNet('a', 'unreachable'),
      dev('ok', 'up'),
    ]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.causeId).toBe('net');
    expect(groups[0]!.cause?.id).toBe('net');
    expect(groups[0]!.behind.map((d) => d.id)).toEqual(['a', 'b']);
    expect(groups[0]!.state).toBe('down');
    expect(groups[0]!.sinceTs).toBe(1500);
  });

  it('keeps a group whose cause the caller may not see, named by its dependants', () => {
    const groups = groupOutages([behindNet('a', 'unreachable', 3000)]);
    expect(groups).toEqual([
      expect.objectContaining({ causeId: 'net', cause: null, state: 'unreachable', sinceTs: 3000 }),
    ]);
  });

  it('puts devices that answer poorly through a degraded line under it, even when they are up', () => {
    const g = groupOutages([
      dev('net', 'degraded', 'latency-high', { latencyMs: 900, thresholdMs: 800 }),
      dev('a', 'up', 'upstream-degraded', { deviceId: 'net', name: 'Cáp quang', type: 'uplink' }),
    ]);
    expect(g).toHaveLength(1);
    expect(g[0]!.behind.map((d) => d.id)).toEqual(['a']);
    expect(g[0]!.state).toBe('degraded');
  });

  it('lists lone failures on their own, worst first then oldest first; unknown and maintenance are not outages', () => {
    const g = groupOutages([
      dev('slow', 'degraded', 'latency-high', {}, 10),
      dev('new', 'down', 'no-reply', {}, 500),
      dev('old', 'down', 'no-reply', {}, 100),
      dev('blind', 'unknown', 'probe-error'),
      dev('m', 'maintenance', 'upstream-down', { deviceId: 'net', name: 'x', type: 'uplink' }),
    ]);
    expect(g.map((o) => o.causeId)).toEqual(['old', 'new', 'slow']);
    expect(g.every((o) => o.behind.length === 0)).toBe(true);
  });
});
