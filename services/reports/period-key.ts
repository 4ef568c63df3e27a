import { localDate, localMidnight, type PeriodKind } from '../kpi/periods.ts';
import type { Period } from '../read-model/read-model.ts';

/** "2026-03" (month), "2026-q1" (quarter), "2026" (year): periods as URLs and the CLI name them. */
export const PERIOD_KEY = /^(\d{4})(?:-(0[1-9]|1[0-2])|-q([1-4]))?$/;

export function parsePeriodKey(key: string): (Period & { kind: PeriodKind }) | null {
  const m = PERIOD_KEY.exec(key.toLowerCase());
  if (!m) return null;
  const year = Number(m[1]);
  if (m[2])
    return {
      kind: 'month',
      fromTs: localMidnight(year, Number(m[2])),
      toTs: localMidnight(year, Number(m[2]) + 1),
    };
  if (m[3]) {
    const first = (Number(m[3]) - 1) * 3 + 1;
    return { kind: 'quarter', fromTs: localMidnight(year, first), toTs: localMidnight(year, first + 3) };
  }
  return { kind: 'year', fromTs: localMidnight(year, 1), toTs: localMidnight(year + 1, 1) };
}

export function periodKey(kind: 'month' | 'quarter' | 'year', fromTs: number): string {
  const d = localDate(fromTs);
  if (kind === 'year') return String(d.year);
  if (kind === 'quarter') return `${d.year}-q${(d.month - 1) / 3 + 1}`;
  return `${d.year}-${String(d.month).padStart(2, '0')}`;
}
