/**
 * Admins: the audit log — who read which camera, who changed what, when — filtered by user,
 * action and Vietnamese days, a page at a time, and exported as CSV (the same filter).
 */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { formatDateTime, formatNumber, getLocale, hasKey, t } from '../i18n.ts';
import type { AuditEntry, AuditPage, AuditQuery } from '../types.ts';
import { definePage } from './page.ts';

const PAGE_SIZE = 25;

export function actionLabel(action: string): string {
  const key = `audit.action.${action}`;
  return hasKey(key) ? t(key) : action;
}

/** The detail a person reads: a maintenance reason and end, sessions ended; nothing secret is ever there. */
function detailText(d: Record<string, unknown> | null): string {
  if (!d) return '';
  const parts: string[] = [];
  if (typeof d.reason === 'string') parts.push(d.reason);
  if (typeof d.startTs === 'number') parts.push(t('audit.detail.start', { at: formatDateTime(d.startTs) }));
  if (typeof d.untilTs === 'number') parts.push(t('audit.detail.until', { at: formatDateTime(d.untilTs) }));
  if (typeof d.sessionsEnded === 'number' && d.sessionsEnded > 0)
    parts.push(t('audit.detail.sessionsEnded', { count: d.sessionsEnded }));
  if (d.disconnected === true) parts.push(t('audit.detail.disconnected'));
  if (typeof d.rows === 'number') parts.push(t('audit.detail.rows', { count: d.rows }));
  return parts.join(' · ');
}

function rowOf(e: AuditEntry): HTMLElement {
  const cell = (label: string, ...content: (Node | string)[]) => h('td', { 'data-label': label }, ...content);
  return h(
    'tr',
    { 'data-action': e.action },
    cell(t('audit.column.time'), formatDateTime(e.ts, true)),
    cell(t('audit.column.user'), h('code', {}, e.username), h('div', { class: 'meta' }, t(`role.${e.role}`))),
    cell(t('audit.column.action'), actionLabel(e.action)),
    cell(t('audit.column.target'), h('code', {}, e.target)),
    cell(t('audit.column.detail'), detailText(e.detail)),
  );
}

function select(id: string, label: string, options: Array<[string, string]>, value: string | undefined) {
  const el = h(
    'select',
    { id, name: id },
    h('option', { value: '' }, t('audit.any')),
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
  );
  return { el, field: h('div', { class: 'field' }, h('label', { for: id }, label), el) };
}

function render(root: HTMLElement): () => void {
  const query: AuditQuery = {};
  let page = 1;
  let alive = true;
  const main = h('main', { class: 'page page-audit', id: 'main' }, h('h1', {}, t('audit.title')));
  const filters = h('form', { class: 'audit-filters', id: 'audit-filters' });
  const body = h('div', { id: 'audit-body' }, h('p', { class: 'muted' }, t('app.loading')));
  main.append(h('p', { class: 'muted' }, t('audit.intro')), filters, body);
  root.append(main);

  const drawFilters = (data: AuditPage) => {
    const user = select(
      'audit-user',
      t('audit.column.user'),
      data.usernames.map((u) => [u, u]),
      query.user,
    );
    const action = select(
      'audit-action',
      t('audit.column.action'),
      data.actions.map((a) => [a, actionLabel(a)]),
      query.action,
    );
    const date = (id: string, label: string, v: string | undefined) => {
      const el = h('input', { id, name: id, type: 'date', value: v ?? '' });
      return { el, field: h('div', { class: 'field' }, h('label', { for: id }, label), el) };
    };
    const from = date('audit-from', t('audit.from'), query.from);
    const to = date('audit-to', t('audit.to'), query.to);
    const exportLink = h(
      'a',
      { class: 'btn', id: 'audit-export', href: api.auditExportUrl(query, getLocale()), download: '' },
      t('audit.export'),
    );
    filters.replaceChildren(
      user.field,
      action.field,
      from.field,
      to.field,
      h(
        'div',
        { class: 'audit-buttons' },
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('audit.apply')),
        exportLink,
      ),
    );
    filters.onsubmit = (ev) => {
      ev.preventDefault();
      query.user = user.el.value || undefined;
      query.action = action.el.value || undefined;
      query.from = from.el.value || undefined;
      query.to = to.el.value || undefined;
      page = 1;
      void load();
    };
  };

  const drawBody = (data: AuditPage) => {
    const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
    const pager = h(
      'nav',
      { class: 'pager', 'aria-label': t('audit.pages') },
      h(
        'button',
        {
          type: 'button',
          class: 'btn',
          disabled: page <= 1,
          'data-page': 'prev',
          onclick: () => {
            page -= 1;
            void load();
          },
        },
        t('audit.prev'),
      ),
      h(
        'span',
        { class: 'pager-info', id: 'audit-count' },
        t('audit.pageOf', { page, pages, total: formatNumber(data.total) }),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn',
          disabled: page >= pages,
          'data-page': 'next',
          onclick: () => {
            page += 1;
            void load();
          },
        },
        t('audit.next'),
      ),
    );
    body.replaceChildren(
      data.entries.length === 0
        ? h('p', { class: 'empty' }, t('audit.none'))
        : h(
            'table',
            { class: 'table table-cards audit-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['time', 'user', 'action', 'target', 'detail'].map((c) =>
                  h('th', {}, t(`audit.column.${c}`)),
                ),
              ),
            ),
            h('tbody', {}, data.entries.map(rowOf)),
          ),
      pager,
    );
  };

  const load = async () => {
    try {
      const data = await api.audit({ ...query, page, pageSize: PAGE_SIZE });
      if (!alive) return;
      drawFilters(data);
      drawBody(data);
    } catch (err) {
      if (alive) body.replaceChildren(errorBox(err));
    }
  };
  void load();
  return () => {
    alive = false;
  };
}

export const audit = definePage({
  id: 'audit',
  path: '/audit',
  titleKey: 'audit.title',
  navKey: 'nav.audit',
  roles: ['admin'],
  render,
});
