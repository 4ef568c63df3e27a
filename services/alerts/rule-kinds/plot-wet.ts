import { plotRuleKind } from './plot-moisture.ts';

/** A farm plot's mean moisture over its too-wet bound for `minutes` (plot-moisture.ts). */
export const plotWet = plotRuleKind(
  'plot-wet',
  { vi: 'Vườn quá ẩm quá N phút', en: 'Plot too wet for N minutes' },
  'vuon-ung',
);
