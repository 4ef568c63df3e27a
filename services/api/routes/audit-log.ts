import { z } from 'zod';
import type { User } from '../../auth/users.ts';
import { vnMidnightTs } from '../../inventory/device-directory.ts';
import { localeFrom, t } from '../../shared/i18n/index.ts';
import type { AuditEntry, AuditFilter } from '../audit.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';

const DAY_MS = 86_400_000;
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** Filters of the audit page: a user, an action, and Vietnamese calendar days (both inclusive). */
const FilterQuery = {
  user: z.string().min(1).max(64).optional(),
  action: z.string().min(1).max(64).optional(),
  from: IsoDate.optional(),
  to: IsoDate.optional(),
};

/** Export answers at most this many rows: a year of a busy commune; narrow the dates for more. */
const EXPORT_MAX_ROWS = 100_000;

function filterOf(
  user: User,
  q: { user?: string; action?: string; from?: string; to?: string },
): AuditFilter {
  return {
    // An admin reads their commune's log; an admin has a commune (province users are not admins).
    communeId: user.communeId ?? undefined,
    username: q.user,
    action: q.action,
    fromTs: q.from === undefined ? undefined : vnMidnightTs(q.from),
    toTs: q.to === undefined ? undefined : vnMidnightTs(q.to) + DAY_MS,
  };
}

const Entry = z.object({
  id: z.number(),
  ts: z.number(),
  username: z.string(),
  role: z.string(),
  action: z.string(),
  target: z.string(),
  communeId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

/** One CSV cell (RFC 4180), defused for spreadsheets: a leading = + - @ would run as a formula. */
function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvOf(deps: ApiDeps, entries: readonly AuditEntry[], locale: 'vi' | 'en'): string {
  const time = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Ho_Chi_Minh',
    dateStyle: 'short',
    timeStyle: 'medium',
  });
  const head = ['time', 'user', 'role', 'action', 'target', 'commune', 'detail'].map((k) =>
    t(locale, `audit.column.${k}`),
  );
  const rows = entries.map((e) => [
    `${time.format(e.ts)} +07:00`,
    e.username,
    t(locale, `role.${e.role}`),
    t(locale, `audit.action.${e.action}`),
    e.target,
    e.communeId ? (deps.directory.communes.get(e.communeId)?.commune.name ?? e.communeId) : '',
    e.detail ? JSON.stringify(e.detail) : '',
  ]);
  // The BOM makes Excel read the file as UTF-8, so Vietnamese names survive a double-click.
  return `\uFEFF${[head, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

export const auditRoutes = [
  route({
    method: 'get',
    path: '/api/audit/entries',
    access: ['admin'],
    tag: 'operations',
    summary:
      "The commune's audit log, newest first, filtered by user, action and Vietnamese days (from, to inclusive), a page at a time; with the users and actions there are to filter by.",
    query: z.strictObject({
      ...FilterQuery,
      page: z.coerce.number().int().min(1).max(100_000).default(1),
      pageSize: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: z.object({
      entries: z.array(Entry),
      total: z.number(),
      page: z.number(),
      pageSize: z.number(),
      actions: z.array(z.string()),
      usernames: z.array(z.string()),
    }),
    handle({ deps, user, query }) {
      const { entries, total } = deps.audit.search(
        filterOf(user!, query),
        query.pageSize,
        (query.page - 1) * query.pageSize,
      );
      return {
        entries,
        total,
        page: query.page,
        pageSize: query.pageSize,
        ...deps.audit.facets(user!.communeId),
      };
    },
  }),
  route({
    method: 'get',
    path: '/api/audit/export',
    access: ['admin'],
    tag: 'operations',
    summary:
      "The filtered audit log as CSV (UTF-8 with BOM, Vietnam time, column names and actions in the reader's language; ?lang=en).",
    query: z.strictObject({ ...FilterQuery, lang: z.enum(['vi', 'en']).optional() }),
    handle({ deps, user, query, req, res }) {
      const { entries } = deps.audit.search(filterOf(user!, query), EXPORT_MAX_ROWS);
      const locale = localeFrom(req.headers['accept-language'], query.lang);
      deps.audit.record(user!, 'audit-export', `${query.from ?? '*'}..${query.to ?? '*'}`, deps.clock(), {
        rows: entries.length,
      });
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="nhat-ky-${user!.communeId ?? 'all'}.csv"`);
      res.send(csvOf(deps, entries, locale));
      return res;
    },
  }),
];
