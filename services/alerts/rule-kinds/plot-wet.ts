import type { z } from 'zod';
import { plotEpisodes, plotSchema } from './plot-moisture.ts';
import type { RuleKind } from './rule-kind.ts';

const schema = plotSchema('plot-wet');

/** A farm plot's mean moisture over its too-wet bound for `minutes` (plot-moisture.ts). */
export const plotWet = {
  kind: 'plot-wet',
  label: { vi: 'Vườn quá ẩm quá N phút', en: 'Plot too wet for N minutes' },
  configSchema: schema,
  exampleConfig: {
    kind: 'plot-wet',
    id: 'vuon-ung',
    minutes: 120,
    severity: 'warning',
    roles: ['economics'],
  },
  since: (_rule, _s, episode) => episode?.sinceTs ?? null,
  stillHolds: (_rule, _reason, _since, _s, episode) => episode !== undefined,
  closedEpisode: () => false,
  roles: (rule) => rule.roles,
  evaluate: (rule, ctx) => plotEpisodes(rule, ctx, 'wet'),
} satisfies RuleKind<z.output<typeof schema>>;
