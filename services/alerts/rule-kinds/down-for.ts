import { z } from 'zod';
import { RuleBase } from '../../../config/schema/alert-rule-base.ts';
import type { RuleKind } from './rule-kind.ts';

const schema = z.strictObject({ kind: z.literal('down-for'), ...RuleBase });

/** Down, or unreachable on its own (not behind a failing upstream), longer than `minutes`. */
export const downFor = {
  kind: 'down-for',
  label: { vi: 'Mất kết nối quá N phút', en: 'Down for more than N minutes' },
  configSchema: schema,
  exampleConfig: { kind: 'down-for', id: 'mat-ket-noi', minutes: 10, severity: 'warning' },
  since: (_rule, s) => (s.state === 'down' || s.state === 'unreachable' ? s.sinceTs : null),
  // Behind a failing upstream the device is still cut off: its alert stays until it is back.
  stillHolds: (_rule, _reason, _since, s) => s.state === 'down' || s.state === 'unreachable',
  closedEpisode: (rule, i) =>
    (i.state === 'down' || i.state === 'unreachable') && i.endTs - i.startTs >= rule.minutes * 60_000,
} satisfies RuleKind<z.output<typeof schema>>;
