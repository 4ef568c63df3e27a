/**
 * The text of a notification, in the recipient's language (pure): what, where (device, site,
 * hamlet), since when in Vietnam time, the root cause, the devices behind it, and an acknowledge
 * link. Never an image, never a camera's stream address: only names and states.
 */
import { type Locale, reasonText, t } from '../shared/i18n/index.ts';
import type { Message } from './notifier.ts';

export interface AlertFacts {
  readonly id: number;
  readonly kind: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly minutes: number;
  readonly deviceId: string;
  readonly deviceName: string;
  readonly typeLabel: { readonly vi: string; readonly en: string };
  readonly hamletName: string;
  readonly siteName: string;
  readonly state: string;
  readonly reason: string;
  readonly params: Readonly<Record<string, string | number>>;
  readonly sinceTs: number;
  readonly resolvedTs: number | null;
  /** Names of the devices cut off behind this one that the reader may see. */
  readonly behind: readonly string[];
  /** How many devices are cut off behind it, named or not (default: behind.length). */
  readonly behindCount?: number;
  readonly flapping?: { readonly changes: number; readonly windowMin: number };
}

export type AlertEvent = 'fire' | 'repeat' | 'escalate' | 'refire' | 'resolve';

const VN = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** dd/mm/yyyy HH:mm in Asia/Ho_Chi_Minh, whatever the server's zone. */
export function vnTime(ts: number): string {
  const p = Object.fromEntries(VN.formatToParts(ts).map((x) => [x.type, x.value]));
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

const MAX_BEHIND_NAMES = 10;

/** One alert as a line of a hamlet's merged message (services/notify/group-message.ts). */
export function groupLine(a: AlertFacts, locale: Locale): string {
  return t(locale, 'alert.group.line', {
    device: a.deviceName,
    type: a.typeLabel[locale],
    site: a.siteName,
    since: vnTime(a.sinceTs),
    cause: reasonText(locale, a.reason, a.params),
  }).normalize('NFC');
}

export function renderMessage(
  a: AlertFacts,
  event: AlertEvent,
  locale: Locale,
  opts: { publicBaseUrl?: string | undefined; maxLength: number; groupable?: boolean },
): Message {
  const device = a.deviceName;
  const subject = t(locale, 'alert.subject', {
    event: t(locale, `alert.event.${event}`),
    severity: t(locale, `alert.severity.${a.severity}`),
    device,
    hamlet: a.hamletName,
  });
  const what = a.flapping
    ? t(locale, 'alert.kind.flapping', a.flapping)
    : t(locale, `alert.kind.${a.kind}`, { minutes: a.minutes });
  const lines = [
    subject,
    what,
    t(locale, 'alert.line.device', { device, type: a.typeLabel[locale] }),
    t(locale, 'alert.line.place', { site: a.siteName, hamlet: a.hamletName }),
    t(locale, 'alert.line.since', { since: vnTime(a.sinceTs) }),
    t(locale, 'alert.line.cause', { cause: reasonText(locale, a.reason, a.params) }),
  ];
  const count = a.behindCount ?? a.behind.length;
  if (count > 0) {
    const named = a.behind.slice(0, MAX_BEHIND_NAMES);
    const more = count > named.length ? ` (+${count - named.length})` : '';
    lines.push(t(locale, 'alert.line.behind', { count, names: named.join(', ') + more }));
  }
  if (event === 'resolve' && a.resolvedTs !== null)
    lines.push(t(locale, 'alert.line.resolved', { at: vnTime(a.resolvedTs) }));
  const ackUrl =
    event !== 'resolve' && opts.publicBaseUrl
      ? `${opts.publicBaseUrl.replace(/\/$/, '')}/#/alerts?ack=${a.id}`
      : undefined;
  if (ackUrl) lines.push(t(locale, 'alert.line.ack', { url: ackUrl }));
  const text = messageText(lines, opts.maxLength);
  return {
    alertId: a.id,
    event,
    subject,
    text,
    ...(ackUrl ? { ackUrl } : {}),
    ackable: event !== 'resolve',
    data: { ...a, event },
    ...(opts.groupable ? { group: { locale, hamlet: a.hamletName, line: groupLine(a, locale) } } : {}),
  };
}

/** A message's lines as one NFC text, cut with "…" to what the notifier's channel takes. */
export function messageText(lines: readonly string[], maxLength: number): string {
  return fitLength(lines.join('\n').normalize('NFC'), maxLength);
}

/** `text`, or its first maxLength - 1 characters and "…" when it is longer. */
export function fitLength(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
