import { describe, expect, it } from 'vitest';
import { ROLES } from '../../config/schema/commune.ts';
import { deviceTypes } from '../../services/device-types/registry.ts';

/**
 * Unit suffixes a metric name may end in (STYLE.md §7: units go in names). Dimensionless counts end
 * in Count or Depth; 0/1 flags in Ok.
 */
const UNIT_SUFFIXES = [
  'Pct',
  'Ms',
  'Sec',
  'C',
  'V',
  'UsCm',
  'Dbm',
  'Db',
  'Mbps',
  'Kbps',
  'Count',
  'Depth',
  'Ok',
];
/** Flags named before the rule; kept because metric names are stored (never rename a stored name). */
const LEGACY_FLAGS = new Set(['playing']);

/**
 * The `DeviceType` contract (services/device-types/device-type.ts), run once per registered kind by
 * test/conformance/device-types.test.ts: liveness a service can keep, someone who may see it, and
 * metrics that say their unit.
 */
export function deviceTypeConformance(kind: string): void {
  describe(`DeviceType conformance: ${kind}`, () => {
    const t = deviceTypes.get(kind);

    it('is registered under its kind', () => {
      expect(t?.kind).toBe(kind);
    });

    it('has a liveness window of whole seconds, between 1 s and a day, and a sleepy type waits out a report', () => {
      const { heartbeatIntervalSec, graceSec } = t!.liveness;
      expect(Number.isInteger(heartbeatIntervalSec) && Number.isInteger(graceSec)).toBe(true);
      expect(heartbeatIntervalSec).toBeGreaterThanOrEqual(1);
      expect(heartbeatIntervalSec).toBeLessThanOrEqual(86_400);
      expect(graceSec).toBeGreaterThanOrEqual(0);
      expect(graceSec).toBeLessThanOrEqual(86_400);
      // One lost LoRa uplink is normal: a sleepy device is late only after a whole missed window.
      if (t!.sleepy) expect(graceSec).toBeGreaterThanOrEqual(heartbeatIntervalSec);
    });

    it('has a non-empty audience of real roles, and a sensitive type is kept from the province', () => {
      expect(t!.audience.length).toBeGreaterThan(0);
      expect(new Set(t!.audience).size).toBe(t!.audience.length);
      for (const r of t!.audience) expect(ROLES).toContain(r);
      if (t!.sensitive) expect(t!.audience).not.toContain('province');
    });

    it('names its metrics in camelCase with a unit suffix, once each', () => {
      expect(new Set(t!.metrics).size).toBe(t!.metrics.length);
      for (const m of t!.metrics) {
        expect(m, m).toMatch(/^[a-z][a-zA-Z0-9]*$/);
        const unit = UNIT_SUFFIXES.some((u) => m.endsWith(u) && m.length > u.length);
        expect(
          unit || LEGACY_FLAGS.has(m),
          `${kind}.${m} says no unit; end it in ${UNIT_SUFFIXES.join('|')}`,
        ).toBe(true);
      }
    });

    it('takes settings through a schema its example passes, and rejects a setting it does not know', () => {
      expect(t!.configSchema.safeParse(t!.exampleConfig).success).toBe(true);
      expect(t!.configSchema.safeParse({ ...t!.exampleConfig, surelyNotASetting: 1 }).success).toBe(false);
    });
  });
}
