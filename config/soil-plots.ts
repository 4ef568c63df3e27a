import type { CommuneFile, CropConfig, PlotConfig } from './schema/commune.ts';

/** A plot's moisture bounds: its own where given, else its crop's. */
export interface PlotBounds {
  readonly dryBelowPct: number;
  readonly wetAbovePct: number | null;
}

export function plotBounds(plot: PlotConfig, crop: CropConfig): PlotBounds {
  return {
    dryBelowPct: plot.dryBelowPct ?? crop.dryBelowPct,
    wetAbovePct: plot.wetAbovePct ?? crop.wetAbovePct ?? null,
  };
}

/** Crops and plots of one commune file: ids once, a plot on a farm site with a known crop, dry below wet. */
export function soilPlotProblems(file: string, c: CommuneFile): string[] {
  const out: string[] = [];
  const crops = new Map<string, CropConfig>();
  c.crops.forEach((crop, i) => {
    if (crops.has(crop.id))
      out.push(`${file}: crops[${i}].id — "${crop.id}" is listed twice. Fix: one entry per crop.`);
    crops.set(crop.id, crop);
    if (crop.wetAbovePct !== undefined && crop.wetAbovePct <= crop.dryBelowPct)
      out.push(
        `${file}: crops[${i}].wetAbovePct — ${crop.wetAbovePct} is not above dryBelowPct ${crop.dryBelowPct}. Fix: too wet must be above too dry.`,
      );
  });
  const sites = new Map(c.sites.map((s) => [s.id, s]));
  const seen = new Set<string>();
  c.plots.forEach((plot, i) => {
    const at = `${file}: plots[${i}]`;
    const site = sites.get(plot.site);
    if (!site) out.push(`${at}.site — "${plot.site}" is no site of this commune. Fix: use a farm site's id.`);
    else if (site.kind !== 'farm')
      out.push(
        `${at}.site — "${plot.site}" is a ${site.kind} site, not a farm. Fix: use a site of kind farm.`,
      );
    if (seen.has(plot.site))
      out.push(`${at}.site — "${plot.site}" has a plot already. Fix: one plot per farm site.`);
    seen.add(plot.site);
    const crop = crops.get(plot.crop);
    if (!crop) {
      const known = [...crops.keys()].join(', ') || '(none: add crops:)';
      out.push(`${at}.crop — "${plot.crop}" is not in crops. Fix: use one of ${known}.`);
      return;
    }
    const b = plotBounds(plot, crop);
    if (b.wetAbovePct !== null && b.wetAbovePct <= b.dryBelowPct)
      out.push(
        `${at} — too wet (${b.wetAbovePct} %) is not above too dry (${b.dryBelowPct} %). Fix: raise wetAbovePct or lower dryBelowPct.`,
      );
  });
  return out;
}
