import { plotRuleKind } from './plot-moisture.ts';

/** A farm plot's mean moisture under its too-dry bound for `minutes` (plot-moisture.ts). */
export const plotDry = plotRuleKind(
  'plot-dry',
  { vi: 'Vườn quá khô quá N phút', en: 'Plot too dry for N minutes' },
  'vuon-kho',
);
