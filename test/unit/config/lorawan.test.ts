import { describe, expect, it } from 'vitest';
import {
  applicationClashes,
  devEuiClashes,
  lorawanLiveness,
  lorawanProblems,
} from '../../../config/lorawan.ts';
import { type CommuneFile, CommuneFileSchema } from '../../../config/schema/commune.ts';

const dev = (id: string, type: string, more: object = {}) => ({
  id,
  type,
  name: id,
  site: 'farm',
  installedAt: '2026-01-05',
  ...more,
});
function commune(devices: object[]): CommuneFile {
  return CommuneFileSchema.parse({
    commune: { id: 'xa', name: 'Xã', province: 'Đồng Nai', center: { lat: 11, lon: 107 } },
    hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
    sites: [{ id: 'farm', name: 'Vườn', kind: 'farm', hamlet: 'ap-1', location: { lat: 11, lon: 107 } }],
    devices,
  });
}
const NS = dev('ns', 'gateway', { applicationIds: ['app-1'] });

describe('LoRaWAN fields in a commune file', () => {
  it('accepts a sensor with its DevEUI, model and network server', () => {
    expect(
      lorawanProblems(
        'f.yaml',
        commune([
          NS,
          dev('s', 'soil-sensor', {
            devEui: 'A840410000000001',
            sensorModel: 'dragino-lse01',
            reportedBy: ['ns'],
          }),
        ]),
      ),
    ).toEqual([]);
  });

  it('names the file, the path and the fix for each problem', () => {
    const c = commune([
      NS,
      dev('ns2', 'gateway', { applicationIds: ['app-1'] }),
      dev('cam', 'camera', { applicationIds: ['app-9'] }),
      dev('s1', 'soil-sensor', { devEui: 'a840410000000001', sensorModel: 'acme-x1', reportedBy: ['ns'] }),
      dev('s2', 'soil-sensor', { devEui: 'a840410000000002' }),
      dev('s3', 'soil-sensor', { missedUplinks: 2 }),
    ]);
    const p = lorawanProblems('f.yaml', c);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^f\.yaml: devices\[3\]\.sensorModel — "acme-x1" is not a known sensor model\. Fix: use one of dragino-lse01, milesight-em500-smtc, sensecap-s2105\.$/,
        ),
        expect.stringMatching(/^f\.yaml: devices\[4\]\.sensorModel — devEui and sensorModel go together/),
        expect.stringMatching(
          /^f\.yaml: devices\[4\]\.reportedBy — a LoRaWAN sensor is reported by its network server/,
        ),
        expect.stringMatching(/^f\.yaml: devices\[5\]\.missedUplinks — only a LoRaWAN sensor/),
        expect.stringMatching(/^f\.yaml: devices\[2\]\.applicationIds — only a gateway device/),
        expect.stringMatching(/^f\.yaml: devices\[1\]\.applicationIds\[0\] — "app-1" already belongs to ns/),
      ]),
    );
  });

  it('refuses an unquoted DevEUI that YAML read as a number, saying to quote it', () => {
    const r = CommuneFileSchema.safeParse({
      ...commune([]),
      devices: [dev('s', 'soil-sensor', { devEui: Number.POSITIVE_INFINITY })],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain('put it in quotes');
  });

  it('refuses a DevEUI used twice in the deployment, across commune files', () => {
    const seen = new Map<string, string>();
    const s = (id: string) =>
      dev(id, 'soil-sensor', {
        devEui: 'a840410000000001',
        sensorModel: 'dragino-lse01',
        reportedBy: ['ns'],
      });
    expect(devEuiClashes('a.yaml', commune([NS, s('s1')]), seen)).toEqual([]);
    expect(devEuiClashes('b.yaml', commune([NS, s('s2')]), seen)).toEqual([
      'b.yaml: devices[1].devEui — "a840410000000001" is already s1 (a.yaml: devices[1]). Fix: each sensor has its own DevEUI; check the label.',
    ]);
  });

  it('refuses a ChirpStack application given to network servers of two communes', () => {
    const seen = new Map<string, { file: string; shown: string }>();
    expect(applicationClashes('a.yaml', commune([NS]), seen)).toEqual([]);
    // Twice in one file is lorawanProblems' to say, once.
    expect(applicationClashes('a.yaml', commune([NS]), seen)).toEqual([]);
    expect(
      applicationClashes('b.yaml', commune([dev('ns-b', 'gateway', { applicationIds: ['app-1'] })]), seen),
    ).toEqual([
      'b.yaml: devices[0].applicationIds[0] — "app-1" already belongs to ns (a.yaml: devices[0]), in another commune. Fix: each ChirpStack application serves one commune; give this one its own application.',
    ]);
  });

  it('makes a sensor down after N missed uplinks of its model, or of its own interval and N', () => {
    const s = (more: object) =>
      commune([
        NS,
        dev('s', 'soil-sensor', {
          devEui: 'a840410000000001',
          sensorModel: 'dragino-lse01',
          reportedBy: ['ns'],
          ...more,
        }),
      ]).devices[1]!;
    // LSE01: every 20 min; 3 missed + a tenth of one for jitter.
    expect(lorawanLiveness(s({}))).toEqual({ heartbeatIntervalSec: 1200, graceSec: 2520 });
    expect(lorawanLiveness(s({ uplinkIntervalSec: 600, missedUplinks: 2 }))).toEqual({
      heartbeatIntervalSec: 600,
      graceSec: 660,
    });
    expect(lorawanLiveness(s({ liveness: { heartbeatIntervalSec: 60, graceSec: 0 } }))).toBeUndefined();
  });
});
