import { z } from 'zod';
import { RuleBase } from '../../../config/schema/alert-rule-base.ts';
import type { RuleKind } from './rule-kind.ts';

const schema = z.strictObject({
  kind: z.literal('silent'),
  ...RuleBase,
  minutes: z.number().min(1).max(10_080),
});

/** Nothing at all heard from the device for `minutes` (a sensor or an adapter gone quiet). */
export const silent = {
  kind: 'silent',
  label: { vi: 'Không nhận dữ liệu quá N phút', en: 'Nothing heard for N minutes' },
  configSchema: schema,
  exampleConfig: { kind: 'silent', id: 'im-lang', minutes: 120, severity: 'warning' },
  // A device never heard since the service knew it is silent from when its state began.
  since: (_rule, s) => s.lastHeardTs ?? s.sinceTs,
  stillHolds: (_rule, _reason, sinceTs, s) => (s.lastHeardTs ?? s.sinceTs) === sinceTs,
  closedEpisode: () => false,
} satisfies RuleKind<z.output<typeof schema>>;
