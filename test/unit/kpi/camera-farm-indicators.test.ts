import { describe, expect, it } from 'vitest';
import type { KpiInput } from '../../../services/kpi/indicator.ts';
import { cameraUntampered } from '../../../services/kpi/indicators/camera-untampered.ts';
import { farmCompleteness } from '../../../services/kpi/indicators/farm-completeness.ts';
import { deviceLedger, type EvidenceSpan, type KpiDevice } from '../../../services/kpi/ledger.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00+07:00');
const period = { fromTs: T0, toTs: T0 + 24 * H };

function device(id: string, type: string, siteId: string, commissionedTs = T0): KpiDevice {
  return {
    id,
    name: `Thiết bị ${id}`,
    communeId: 'xa-thu',
    type,
    isUplink: false,
    siteId,
    hamletId: 'ap-1',
    contractor: null,
    commissionedTs,
    retiredTs: null,
  };
}
const span = (state: EvidenceSpan['state'], reason: string, fromH: number, toH: number): EvidenceSpan => ({
  state,
  reason,
  params: {},
  startTs: T0 + fromH * H,
  endTs: T0 + toH * H,
});
const site = (id: string, kind: 'key-point' | 'police-post' | 'school') => ({
  id,
  name: `Điểm ${id}`,
  kind,
  hamlet: 'ap-1',
  location: { lat: 11, lon: 107 },
});

function input(ledgers: KpiInput['ledgers'], extra: Partial<KpiInput> = {}): KpiInput {
  return {
    period,
    nowTs: period.toTs,
    hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
    sites: [site('nga-ba', 'key-point'), site('cong-an', 'police-post'), site('truong', 'school')],
    ledgers,
    ...extra,
  };
}

describe('camera-untampered', () => {
  const params = cameraUntampered.configSchema.parse({});

  it('counts a camera degraded as covered, blurred or turned away as not working, but not one that is only dark', () => {
    const covered = deviceLedger(
      device('cam-1', 'camera', 'nga-ba'),
      [span('up', 'heartbeat', 0, 12), span('degraded', 'camera-covered', 12, 24)],
      [period],
    );
    const dark = deviceLedger(
      device('cam-2', 'camera', 'cong-an'),
      [span('up', 'heartbeat', 0, 12), span('degraded', 'camera-dark', 12, 24)],
      [period],
    );
    const r = cameraUntampered.compute(input([covered, dark]), params);
    // Ngã ba was watched half the day (not covered at 95 %); the police post all day.
    expect(r.rows.map((x) => [x.key, x.basis.status, x.value])).toEqual([
      ['nga-ba', 'not-covered', 50],
      ['cong-an', 'covered', 100],
    ]);
    expect(r.value).toBe(50);
    expect(r.basis).toMatchObject({ keyPoints: 2, covered: 1, tamperedMs: 12 * H });
  });

  it('turned-away and blurred time count too; a school camera is not a key point; a key point without a camera is not covered', () => {
    const moved = deviceLedger(
      device('cam-1', 'camera', 'nga-ba'),
      [
        span('degraded', 'camera-scene-moved', 0, 1),
        span('degraded', 'camera-blurred', 1, 2),
        span('up', 'ok', 2, 24),
      ],
      [period],
    );
    const school = deviceLedger(device('cam-3', 'camera', 'truong'), [span('up', 'ok', 0, 24)], [period]);
    const r = cameraUntampered.compute(input([moved, school]), { ...params, minPct: 90 });
    expect(r.rows.map((x) => [x.key, x.basis.status])).toEqual([
      ['nga-ba', 'covered'],
      ['cong-an', 'no-device'],
    ]);
    expect(r.rows[0]!.basis.unavailableMs).toBe(2 * H);
    expect(r.value).toBe(50);
  });

  it('names places, never a camera, in its rows and basis', () => {
    const cam = deviceLedger(device('cam-secret', 'camera', 'nga-ba'), [span('up', 'ok', 0, 24)], [period]);
    const text = JSON.stringify(cameraUntampered.compute(input([cam]), params));
    expect(text).not.toContain('cam-secret');
    expect(text).not.toContain('lat');
  });
});

describe('farm-completeness', () => {
  const params = farmCompleteness.configSchema.parse({});
  const every30 = (fromH: number, toH: number) =>
    Array.from({ length: (toH - fromH) * 2 }, (_, k) => T0 + fromH * H + k * 1_800_000);

  it('is the uplinks received over those expected, from commissioning, with a resent surplus not making up a gap', () => {
    const a = deviceLedger(device('dat-1', 'soil-sensor', 'ruong'), [span('up', 'ok', 0, 24)], [period]);
    const b = deviceLedger(
      device('dat-2', 'soil-sensor', 'ruong', T0 + 12 * H),
      [span('up', 'ok', 12, 24)],
      [{ fromTs: T0 + 12 * H, toTs: period.toTs }],
    );
    const uplinks = new Map([
      ['dat-1', { intervalSec: 1800, ts: [...every30(0, 12), ...every30(0, 12)] }], // 48 frames, half the day twice
      ['dat-2', { intervalSec: 1800, ts: every30(12, 24) }],
    ]);
    const r = farmCompleteness.compute(input([a, b], { uplinks }), params);
    expect(r.rows.map((x) => [x.key, x.basis.received, x.basis.expected, x.value])).toEqual([
      ['dat-1', 48, 48, 100],
      ['dat-2', 24, 24, 100],
    ]);
    const gappy = new Map([...uplinks, ['dat-1', { intervalSec: 1800, ts: every30(0, 12) }]]);
    const g = farmCompleteness.compute(input([a, b], { uplinks: gappy }), params);
    expect(g.value).toBe(round((100 * 48) / 72));
    expect(g.rows[0]!.basis.gapDays).toBe(1);
  });

  it('gives no figure when the uplinks were not read, rather than 0 %', () => {
    const a = deviceLedger(device('dat-1', 'soil-sensor', 'ruong'), [span('up', 'ok', 0, 24)], [period]);
    const r = farmCompleteness.compute(input([a]), params);
    expect(r.value).toBeNull();
    expect(r.rows[0]!.basis.uplinksRead).toBe('no');
  });
});

const round = (x: number) => Math.round(x * 100) / 100;
