/**
 * The reports archive for leaders and admins: the period's report to download (PDF, XLSX, CSV:
 * the archived one, else made on the spot), the archived files newest first, and a button per file
 * that recomputes it from the store (GET /api/reports/:commune/:period/verify) and says "same" or
 * which figure differs and why.
 */
import { api } from '../api.ts';
import { formatDate, formatDateTime, t } from '../i18n.ts';
import { h } from './dom.ts';
import { errorBox } from './errors.ts';

interface ArchivedReport {
  file: string;
  communeId: string;
  format: string;
  fromTs: number;
  toTs: number;
  periodLabel: string;
  dueDate: string | null;
  contentHash: string;
  createdTs: number;
}

interface Verification {
  same: boolean;
  tampered: boolean;
  differences: Array<{ targetId: string; name: string; field: string; inFile: unknown; recomputed: unknown }>;
  evidenceChanged: string[];
  settingsChanged: boolean;
}

const FORMATS = ['pdf', 'xlsx', 'csv'] as const;
const VN_OFFSET_MS = 7 * 3_600_000;

/** The period key (2026-03, 2026-q1, 2026) of a calendar month, quarter or year; null for another span. */
export function periodKeyOf(fromTs: number, toTs: number): string | null {
  const a = new Date(fromTs + VN_OFFSET_MS);
  const y = a.getUTCFullYear();
  const m = a.getUTCMonth() + 1;
  if (a.getUTCDate() !== 1 || a.getUTCHours() !== 0) return null;
  const at = (yy: number, mm: number) => Date.UTC(yy, mm - 1, 1) - VN_OFFSET_MS;
  if (toTs === at(y, m + 1)) return `${y}-${String(m).padStart(2, '0')}`;
  if ((m - 1) % 3 === 0 && toTs === at(y, m + 3)) return `${y}-q${(m - 1) / 3 + 1}`;
  if (m === 1 && toTs === at(y + 1, 1)) return String(y);
  return null;
}

function verdict(v: Verification) {
  if (v.same) return h('p', { class: 'verify-result ok', 'data-same': 'true' }, t('reports.verify.same'));
  return h(
    'div',
    { class: 'verify-result bad', 'data-same': 'false' },
    h('p', {}, v.tampered ? t('reports.verify.tampered') : t('reports.verify.differs')),
    h(
      'ul',
      {},
      ...v.differences.map((d) =>
        h(
          'li',
          {},
          t('reports.verify.difference', {
            name: d.name,
            inFile: String(d.inFile),
            recomputed: String(d.recomputed),
          }),
        ),
      ),
      v.evidenceChanged.length
        ? h('li', {}, t('reports.verify.late', { n: v.evidenceChanged.length }))
        : null,
      v.settingsChanged ? h('li', {}, t('reports.verify.settings')) : null,
    ),
  );
}

function row(r: ArchivedReport) {
  const key = periodKeyOf(r.fromTs, r.toTs);
  const out = h('div', { class: 'verify-slot' });
  const verify = async () => {
    out.replaceChildren(h('span', { class: 'muted' }, t('reports.verify.running')));
    try {
      out.replaceChildren(verdict(await api.verifyReport<Verification>(r.communeId, key!, r.format)));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  };
  return h(
    'li',
    { class: 'report-row', 'data-file': r.file, 'data-format': r.format },
    h('strong', {}, r.periodLabel),
    ' · ',
    h('span', { class: 'badge' }, r.format.toUpperCase()),
    h(
      'div',
      { class: 'meta' },
      t('reports.made', { time: formatDateTime(r.createdTs) }),
      r.dueDate ? ` · ${t('reports.due', { date: formatDate(r.dueDate) })}` : '',
      ' · ',
      h('code', { title: r.contentHash }, r.contentHash.slice(0, 12)),
    ),
    key
      ? h(
          'div',
          { class: 'report-actions' },
          h(
            'a',
            { class: 'btn', href: api.reportUrl(r.communeId, key, r.format), download: r.file },
            t('reports.download'),
          ),
          h(
            'button',
            { type: 'button', class: 'btn', 'data-action': 'verify', onclick: () => void verify() },
            t('reports.verify'),
          ),
        )
      : null,
    out,
  );
}

/** The archive section; `load(communeId, period)` draws it for the period chosen on the page. */
export function reportArchive(): { el: HTMLElement; load(communeId: string, period: string): Promise<void> } {
  const now = h('div', { class: 'report-now' });
  const list = h('ul', { class: 'plain-list report-list' });
  const el = h(
    'section',
    { class: 'panel report-archive' },
    h('h3', {}, t('reports.title')),
    now,
    h('h4', {}, t('reports.archived')),
    list,
  );
  return {
    el,
    async load(communeId, period) {
      now.replaceChildren(
        h('span', {}, t('reports.thisPeriod', { period })),
        ' ',
        ...FORMATS.map((f) =>
          h(
            'a',
            { class: 'btn', href: api.reportUrl(communeId, period, f), 'data-format': f },
            f.toUpperCase(),
          ),
        ),
      );
      try {
        const all = await api.reports<ArchivedReport>();
        list.replaceChildren(
          ...(all.length ? all.map(row) : [h('li', { class: 'muted' }, t('reports.none'))]),
        );
        el.dataset.loaded = 'true';
      } catch (err) {
        list.replaceChildren(h('li', {}, errorBox(err)));
      }
    },
  };
}
