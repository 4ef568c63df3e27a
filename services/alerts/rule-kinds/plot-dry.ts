import type { z } from 'zod';
import { plotEpisodes, plotSchema } from './plot-moisture.ts';
import type { RuleKind } from './rule-kind.ts';

const schema = plotSchema('plot-dry');

/** A farm plot's mean moisture under its too-dry bound for `minutes` (plot-moisture.ts). */
export const plotDry = {
  kind: 'plot-dry',
  label: { vi: 'Vườn quá khô quá N phút', en: 'Plot too dry for N minutes' },
  configSchema: schema,
  exampleConfig: {
    kind: 'plot-dry',
    id: 'vuon-kho',
    minutes: 120,
    severity: 'warning',
    roles: ['economics'],
  },
  since: (_rule, _s, episode) => episode?.sinceTs ?? null,
  stillHolds: (_rule, _reason, _since, _s, episode) => episode !== undefined,
  closedEpisode: () => false,
  roles: (rule) => rule.roles,
  evaluate: (rule, ctx) => plotEpisodes(rule, ctx, 'dry'),
} satisfies RuleKind<z.output<typeof schema>>;
