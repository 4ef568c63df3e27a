import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnyProbe, type ProbeResult, ProbeTimeout } from '../../gateway/probes/probe.ts';
import { probes } from '../../gateway/probes/registry.ts';
import { isReasonCode, REASONS } from '../../services/protocol/reasons.ts';

/** Real targets for one probe, made by the test file; each is a raw config (before the schema). */
export interface ProbeTargets {
  /** Answers: the verdict is up or degraded. */
  readonly reachable: unknown;
  /** Refused, unroutable or absent: the verdict is down, well within `timeoutMs`. */
  readonly unreachable: unknown;
  /** Never answers: only the signal ends the run. */
  readonly hanging: unknown;
  /** Configs the schema must refuse. */
  readonly invalid: readonly unknown[];
  close(): Promise<void>;
}

const TIMEOUT_MS = 5000;
const ABORT_AFTER_MS = 300;

function expectCatalogued(r: ProbeResult): void {
  const code = r.reason.code;
  expect(isReasonCode(code), `reason ${code} is in services/protocol/reasons.ts`).toBe(true);
  if (!isReasonCode(code)) return;
  expect(REASONS[code].wire, `${code} may travel in a status document`).toBe(true);
  const names = REASONS[code].params;
  for (const n of names) expect(r.reason.params, `${r.reason.code} carries {${n}}`).toHaveProperty(n);
  for (const [k, v] of Object.entries(r.metrics)) {
    expect(k).toMatch(/^[a-z][a-zA-Z0-9]{0,47}$/);
    expect(Number.isFinite(v), k).toBe(true);
  }
}

async function run(
  probe: AnyProbe,
  raw: unknown,
  abortAfterMs = TIMEOUT_MS,
): Promise<{ r: ProbeResult; ms: number }> {
  const config = probe.configSchema.parse(raw);
  const controller = new AbortController();
  const t = setTimeout(() => controller.abort(new ProbeTimeout(abortAfterMs)), abortAfterMs);
  const started = performance.now();
  try {
    const r = await probe.probe(config, controller.signal);
    return { r, ms: performance.now() - started };
  } finally {
    clearTimeout(t);
  }
}

/**
 * The DeviceProbe contract (gateway/probes/probe.ts), against real targets on loopback. Every
 * probe's test file is about three lines calling this.
 */
export function probeConformance(kind: string, makeTargets: () => Promise<ProbeTargets>): void {
  const probe: AnyProbe | undefined = probes.get(kind);
  if (!probe) throw new Error(`probe "${kind}" is not in gateway/probes/registry.ts`);
  describe(`probe conformance: ${probe.kind}`, () => {
    let targets: ProbeTargets;
    beforeAll(async () => {
      targets = await makeTargets();
    });
    afterAll(async () => {
      await targets?.close();
    });

    it('has a stable kebab-case kind and Vietnamese and English labels', () => {
      expect(probe.kind).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(probe.label.vi.trim()).not.toBe('');
      expect(probe.label.en.trim()).not.toBe('');
      expect(probe.label.vi.normalize('NFC')).toBe(probe.label.vi);
    });

    it('its exampleConfig passes its configSchema', () => {
      expect(probe.configSchema.safeParse(probe.exampleConfig).success).toBe(true);
    });

    it('refuses bad configs with a validation error', () => {
      expect(targets.invalid.length).toBeGreaterThan(0);
      for (const bad of targets.invalid) {
        const r = probe.configSchema.safeParse(bad);
        expect(r.success, JSON.stringify(bad)).toBe(false);
        expect(() => probe.configSchema.parse(bad)).toThrow();
      }
    });

    it('judges a reachable target up (or degraded), with a catalogued reason', async () => {
      const { r } = await run(probe, targets.reachable);
      expect(['up', 'degraded'], JSON.stringify(r.reason)).toContain(r.verdict);
      expectCatalogued(r);
    });

    it('judges an unreachable target down with a catalogued reason, without throwing', async () => {
      const { r, ms } = await run(probe, targets.unreachable);
      expect(r.verdict, JSON.stringify(r.reason)).toBe('down');
      expect(r.reason.code).not.toBe('ok');
      expectCatalogued(r);
      expect(ms).toBeLessThan(TIMEOUT_MS);
    });

    it('ends a hanging run soon after its signal aborts, as down / probe-timeout', async () => {
      const { r, ms } = await run(probe, targets.hanging, ABORT_AFTER_MS);
      expect(r.verdict).toBe('down');
      expect(r.reason).toEqual({ code: 'probe-timeout', params: { timeoutMs: ABORT_AFTER_MS } });
      expect(ms).toBeGreaterThanOrEqual(ABORT_AFTER_MS - 5);
      expect(ms).toBeLessThan(ABORT_AFTER_MS + 1000);
    });

    it('resolves at once when given a signal already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new ProbeTimeout(1));
      const r = await probe.probe(probe.configSchema.parse(targets.reachable), controller.signal);
      expect(r.reason.code).toBe('probe-timeout');
    });
  });
}
