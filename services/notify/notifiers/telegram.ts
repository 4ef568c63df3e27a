import { z } from 'zod';
import type { AckPress, Message, Notifier, Target } from '../notifier.ts';
import { NotifyError } from '../notifier.ts';

const ConfigSchema = z.strictObject({
  /** Bot API base; a stand-in's address in tests, a local Bot API server if the commune runs one. */
  apiUrl: z.url({ protocol: /^https?$/ }).default('https://api.telegram.org'),
  /** Name of the secret holding the bot token (from @BotFather): notify-secrets.json or CANHXA_SECRET_<NAME>. */
  tokenRef: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a secret name, e.g. "telegram-bot"'),
  /** getUpdates long-poll length: how long one request waits for a button press. */
  pollTimeoutSec: z.number().int().min(0).max(50).default(25),
});
type TelegramConfig = z.output<typeof ConfigSchema>;

/** Callback data of the acknowledge button (Bot API: 1–64 bytes). */
const ACK_PREFIX = 'ack:';
const ACK_LABEL = 'Đã nhận / Acknowledge';

interface BotAnswer<T> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

interface Update {
  update_id: number;
  callback_query?: { id: string; from: { id: number }; message?: { chat: { id: number } }; data?: string };
}

/**
 * Calls one Bot API method (https://core.telegram.org/bots/api#making-requests). The token is in
 * the URL, so no error message here ever quotes the URL.
 */
async function call<T>(
  c: TelegramConfig,
  token: string,
  method: string,
  body: unknown,
  signal: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${c.apiUrl.replace(/\/$/, '')}/bot${token}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    const e = err as Error;
    throw new NotifyError(`telegram ${method}: ${e.name === 'TimeoutError' ? 'no answer' : e.name}`);
  }
  const answer = (await res.json().catch(() => ({ ok: false }))) as BotAnswer<T>;
  if (answer.ok && res.ok) return answer.result as T;
  const code = answer.error_code ?? res.status;
  const why = `telegram ${method}: ${code} ${answer.description ?? ''}`.trim();
  // 429 carries parameters.retry_after in seconds (Bot API "Responses"): honour it exactly.
  if (code === 429)
    throw new NotifyError(why, { retryAfterMs: (answer.parameters?.retry_after ?? 1) * 1000 });
  // 400 (chat not found, bad text) and 403 (the user blocked the bot) will not heal by retrying.
  throw new NotifyError(why, { permanent: code === 400 || code === 403 });
}

export const telegram: Notifier<TelegramConfig> = {
  kind: 'telegram',
  label: { vi: 'Telegram', en: 'Telegram' },
  configSchema: ConfigSchema,
  exampleConfig: { apiUrl: 'https://api.telegram.org', tokenRef: 'telegram-bot', pollTimeoutSec: 25 },
  contactField: 'telegramChatId',
  maxLength: 4096,
  secretRefs: (c) => [c.tokenRef],
  create(c, ctx) {
    const token = () => ctx.secret(c.tokenRef);
    return {
      async send(m: Message, target: Target, signal: AbortSignal) {
        const markup =
          m.ackable && m.alertId > 0
            ? { inline_keyboard: [[{ text: ACK_LABEL, callback_data: `${ACK_PREFIX}${m.alertId}` }]] }
            : undefined;
        const sent = await call<{ message_id: number }>(
          c,
          token(),
          'sendMessage',
          { chat_id: target.address, text: m.text, ...(markup ? { reply_markup: markup } : {}) },
          signal,
        );
        return { providerId: String(sent.message_id) };
      },
      async listen(onPress: (p: AckPress) => Promise<void>, signal: AbortSignal) {
        // Offset kept in memory only: updates not yet confirmed come again after a restart, and an
        // acknowledgement applied twice is still one.
        let offset = 0;
        let backoffMs = 500;
        while (!signal.aborted) {
          try {
            const updates = await call<Update[]>(
              c,
              token(),
              'getUpdates',
              { offset, timeout: c.pollTimeoutSec, allowed_updates: ['callback_query'] },
              AbortSignal.any([signal, AbortSignal.timeout((c.pollTimeoutSec + 10) * 1000)]),
            );
            backoffMs = 500;
            for (const u of updates) {
              offset = Math.max(offset, u.update_id + 1);
              const q = u.callback_query;
              if (!q?.data?.startsWith(ACK_PREFIX)) continue;
              const alertId = Number(q.data.slice(ACK_PREFIX.length));
              await onPress({
                alertId,
                address: String(q.from.id),
                answer: async (text) => {
                  await call(c, token(), 'answerCallbackQuery', { callback_query_id: q.id, text }, signal);
                },
              });
            }
          } catch (err) {
            if (signal.aborted) return;
            const wait = (err as NotifyError).retryAfterMs ?? backoffMs;
            backoffMs = Math.min(backoffMs * 2, 30_000);
            await new Promise((r) => setTimeout(r, wait).unref());
          }
        }
      },
    };
  },
};
