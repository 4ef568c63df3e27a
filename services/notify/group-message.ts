import { t } from '../shared/i18n/index.ts';
import { messageText } from './message.ts';
import type { Message } from './notifier.ts';

/**
 * One message for several alerts of one hamlet told to one person (pure): a heading with how many
 * devices are down and where, one line per device, and one link to the alerts page, where each is
 * acknowledged (a button can carry only one alert, so the merged message offers none). The data
 * lists every alert, for a receiver that reads it.
 */
export function groupMessage(messages: readonly Message[], maxLength: number): Message {
  const first = messages[0]!;
  if (messages.length === 1 || !first.group) return first;
  const { locale, hamlet } = first.group;
  const subject = t(locale, 'alert.group.subject', { count: messages.length, hamlet });
  const lines = [subject, ...messages.map((m) => m.group?.line ?? m.subject)];
  const page = first.ackUrl?.replace(/\?ack=\d+$/, '');
  if (page) lines.push(t(locale, 'alert.group.link', { url: page }));
  const text = messageText(lines, maxLength);
  return {
    alertId: first.alertId,
    event: first.event,
    subject,
    text,
    ...(page ? { ackUrl: page } : {}),
    ackable: false,
    data: { group: hamlet, alerts: messages.map((m) => m.data) },
  };
}
