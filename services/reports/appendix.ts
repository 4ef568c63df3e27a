import type { CommuneFile } from '../../config/schema/commune.ts';
import { deviceTypes } from '../device-types/registry.ts';
import type { KpiRun } from '../kpi/evaluate.ts';
import { figureLedgers } from '../kpi/evidence.ts';
import { indicators } from '../kpi/indicators/registry.ts';
import { outages } from '../kpi/ledger.ts';

/** One outage behind a figure, as the appendix lists it (times epoch ms; shown in Vietnam time). */
export interface EvidenceOutage {
  readonly deviceId: string;
  readonly device: string;
  readonly hamlet: string;
  readonly startTs: number;
  readonly endTs: number;
  /** Counted (service-hour) minutes down or unreachable. */
  readonly countedMin: number;
  /** The upstream named as root cause while unreachable (its name), or null. */
  readonly rootCause: string | null;
}

export interface FigureEvidence {
  readonly targetId: string;
  /** Every outage of the figure's devices in the period. */
  readonly outages: number;
  /** The longest of them, longest first, at most `top`. */
  readonly longest: readonly EvidenceOutage[];
  /** Outages of sensitive devices (cameras): counted above, never listed (aggregates only). */
  readonly hiddenSensitive: number;
}

/** How many outages the appendix lists per figure. */
export const APPENDIX_TOP = 5;

/**
 * The evidence behind each figure: the outages (services/kpi/ledger.ts `outages`) of the devices
 * it counts (kpi/evidence.ts figureLedgers: its indicator's devices, its `deviceType`, or all), the longest first, with device, hamlet and times, so "why
 * 97.3 %?" has its answer in the report. A camera's outages are counted, never named: the report
 * goes to the province.
 */
export function evidenceAppendix(c: CommuneFile, run: KpiRun, top = APPENDIX_TOP): FigureEvidence[] {
  const hamletName = new Map(c.hamlets.map((h) => [h.id, h.name]));
  const deviceName = new Map(c.devices.map((d) => [d.id, d.name]));
  const ledgers = run.input?.ledgers ?? [];
  const perDevice = new Map(ledgers.map((l) => [l.device.id, { l, os: outages(l) }]));
  return run.figures.map((f) => {
    // The devices the figure counts, as its indicator says (a contractor's: those it supplies).
    const indicator = indicators.get(f.indicator);
    const counted = new Set(
      (run.input && indicator ? figureLedgers(run.input, indicator, f.params) : ledgers).map(
        (l) => l.device.id,
      ),
    );
    let hidden = 0;
    const all: EvidenceOutage[] = [];
    for (const { l, os } of perDevice.values()) {
      if (!counted.has(l.device.id)) continue;
      if (deviceTypes.get(l.device.type)?.sensitive) {
        hidden += os.length;
        continue;
      }
      for (const o of os)
        all.push({
          deviceId: l.device.id,
          device: l.device.name,
          hamlet: hamletName.get(l.device.hamletId) ?? l.device.hamletId,
          startTs: o.startTs,
          endTs: o.endTs,
          countedMin: Math.round(o.countedMs / 600) / 100,
          rootCause: o.rootCauseId ? (deviceName.get(o.rootCauseId) ?? o.rootCauseId) : null,
        });
    }
    all.sort((a, b) => b.countedMin - a.countedMin || a.startTs - b.startTs);
    return {
      targetId: f.targetId,
      outages: all.length + hidden,
      longest: all.slice(0, top),
      hiddenSensitive: hidden,
    };
  });
}
