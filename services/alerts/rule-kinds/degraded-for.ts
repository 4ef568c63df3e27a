import { z } from 'zod';
import { RuleBase } from '../../../config/schema/alert-rule-base.ts';
import type { RuleKind } from './rule-kind.ts';

const schema = z.strictObject({
  kind: z.literal('degraded-for'),
  ...RuleBase,
  /** Codes of services/protocol/reasons.ts. */
  reasons: z.array(z.string()).min(1, 'name at least one reason code, e.g. [latency-high]'),
});

/** Degraded for one of `reasons` longer than `minutes`. */
export const degradedFor = {
  kind: 'degraded-for',
  label: { vi: 'Suy giảm vì lý do nêu quá N phút', en: 'Degraded for a named reason for N minutes' },
  configSchema: schema,
  exampleConfig: {
    kind: 'degraded-for',
    id: 'cam-bien-dung-so',
    minutes: 60,
    severity: 'warning',
    reasons: ['frozen-value'],
  },
  since: (rule, s) => (s.state === 'degraded' && rule.reasons.includes(s.reason) ? s.sinceTs : null),
  stillHolds: (_rule, reason, _since, s) => s.state === 'degraded' && s.reason === reason,
  closedEpisode: (rule, i) =>
    i.state === 'degraded' && rule.reasons.includes(i.reason) && i.endTs - i.startTs >= rule.minutes * 60_000,
} satisfies RuleKind<z.output<typeof schema>>;
