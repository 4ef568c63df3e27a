import { describe, expect, it } from 'vitest';
import { plotBounds, soilPlotProblems } from '../../../config/soil-plots.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

const commune = (extra: Record<string, unknown>) =>
  buildCommune({
    sites: [
      { id: 'vuon-1', kind: 'farm' },
      { id: 'ubnd', kind: 'ubnd' },
    ],
    devices: [],
    extra,
  });

describe('crops and plots of a commune file', () => {
  it('accepts plots on farm sites with known crops, and a plot’s own bound wins over its crop’s', () => {
    const c = commune({
      crops: [{ id: 'tieu', name: 'Hồ tiêu', dryBelowPct: 22, wetAbovePct: 45 }],
      plots: [{ site: 'vuon-1', crop: 'tieu', dryBelowPct: 18 }],
    });
    expect(soilPlotProblems('x.yaml', c)).toEqual([]);
    expect(plotBounds(c.plots[0]!, c.crops[0]!)).toEqual({ dryBelowPct: 18, wetAbovePct: 45 });
  });

  it('names the file, the path and the fix for an unknown crop, a site that is no farm, and dry above wet', () => {
    const c = commune({
      crops: [{ id: 'tieu', name: 'Hồ tiêu', dryBelowPct: 50, wetAbovePct: 40 }],
      plots: [
        { site: 'ubnd', crop: 'ca-phe' },
        { site: 'vuon-9', crop: 'tieu', wetAbovePct: 60 },
      ],
    });
    expect(soilPlotProblems('x.yaml', c)).toEqual([
      'x.yaml: crops[0].wetAbovePct — 40 is not above dryBelowPct 50. Fix: too wet must be above too dry.',
      'x.yaml: plots[0].site — "ubnd" is a ubnd site, not a farm. Fix: use a site of kind farm.',
      'x.yaml: plots[0].crop — "ca-phe" is not in crops. Fix: use one of tieu.',
      'x.yaml: plots[1].site — "vuon-9" is no site of this commune. Fix: use a farm site\'s id.',
    ]);
  });
});
