/**
 * A Telegram Bot API stand-in (https://core.telegram.org/bots/api) on a loopback port: POST
 * /bot<token>/<method> with a JSON body, answers `{ ok, result }` or `{ ok: false, error_code,
 * description, parameters: { retry_after } }` as the real API does. It knows sendMessage,
 * getUpdates (long polling with offset and timeout) and answerCallbackQuery, and can fail (500),
 * hang (never answer) or rate-limit (429 with retry_after) on request. `press` plays a person
 * tapping an inline button, which reaches the bot as a callback_query update.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentMessage {
  readonly chatId: string;
  readonly text: string;
  readonly messageId: number;
  readonly buttons: Array<{ text: string; callback_data: string }>;
  readonly at: number;
}

export type Mode = 'ok' | 'fail' | 'hang' | { retryAfterSec: number };

interface Update {
  update_id: number;
  callback_query: {
    id: string;
    from: { id: number; first_name: string };
    message: { message_id: number; chat: { id: number } };
    data: string;
  };
}

export class TelegramStandIn {
  readonly sent: SentMessage[] = [];
  readonly answered: Array<{ callbackQueryId: string; text: string }> = [];
  /** Requests per method, answered or not. */
  readonly calls = new Map<string, number>();
  /** How sendMessage answers; getUpdates and answerCallbackQuery always work. */
  mode: Mode = 'ok';
  private server: Server | undefined;
  private readonly updates: Update[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly hung = new Set<ServerResponse>();
  private nextUpdate = 1;
  private nextMessage = 1;

  constructor(readonly token = '123456:TEST-token') {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) w();
    for (const r of this.hung) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** A person taps the inline button of a message they received. */
  press(chatId: string, callbackData: string): string {
    const m = [...this.sent]
      .reverse()
      .find((s) => s.chatId === chatId && s.buttons.some((b) => b.callback_data === callbackData));
    if (!m) throw new Error(`no message to ${chatId} has a button ${callbackData}`);
    const id = `cb-${this.nextUpdate}`;
    this.updates.push({
      update_id: this.nextUpdate++,
      callback_query: {
        id,
        from: { id: Number(chatId), first_name: 'Test' },
        message: { message_id: m.messageId, chat: { id: Number(chatId) } },
        data: callbackData,
      },
    });
    for (const w of this.waiters) w();
    return id;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    const reply = (status: number, body: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!m || m[1] !== this.token)
      return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2]!;
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return reply(400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
    }
    if (method === 'sendMessage') return this.sendMessage(body, res, reply);
    if (method === 'getUpdates') return this.getUpdates(body, res, reply);
    if (method === 'answerCallbackQuery') {
      this.answered.push({ callbackQueryId: String(body.callback_query_id), text: String(body.text ?? '') });
      return reply(200, { ok: true, result: true });
    }
    reply(404, { ok: false, error_code: 404, description: 'Not Found' });
  }

  private sendMessage(
    body: Record<string, unknown>,
    res: ServerResponse,
    reply: (s: number, b: unknown) => void,
  ): void {
    const mode = this.mode;
    if (mode === 'hang') {
      this.hung.add(res);
      return;
    }
    if (mode === 'fail')
      return reply(500, { ok: false, error_code: 500, description: 'Internal Server Error' });
    if (typeof mode === 'object')
      return reply(429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${mode.retryAfterSec}`,
        parameters: { retry_after: mode.retryAfterSec },
      });
    const chatId = String(body.chat_id ?? '');
    const text = String(body.text ?? '');
    if (!/^-?\d+$/.test(chatId))
      return reply(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' });
    if (text.length === 0 || text.length > 4096)
      return reply(400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' });
    const markup = body.reply_markup as
      | { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> }
      | undefined;
    const messageId = this.nextMessage++;
    this.sent.push({
      chatId,
      text,
      messageId,
      buttons: markup?.inline_keyboard?.flat() ?? [],
      at: Date.now(),
    });
    reply(200, {
      ok: true,
      result: {
        message_id: messageId,
        chat: { id: Number(chatId) },
        date: Math.floor(Date.now() / 1000),
        text,
      },
    });
  }

  /** getUpdates: confirms every update below `offset`, then answers at once or within `timeout` seconds. */
  private getUpdates(
    body: Record<string, unknown>,
    res: ServerResponse,
    reply: (s: number, b: unknown) => void,
  ): void {
    const offset = Number(body.offset ?? 0);
    if (offset > 0)
      while (this.updates.length > 0 && this.updates[0]!.update_id < offset) this.updates.shift();
    const answer = () => reply(200, { ok: true, result: [...this.updates] });
    if (this.updates.length > 0) return answer();
    const timeoutSec = Number(body.timeout ?? 0);
    const done = () => {
      clearTimeout(timer);
      this.waiters.delete(done);
      answer();
    };
    const timer = setTimeout(done, timeoutSec * 1000);
    this.waiters.add(done);
    res.once('close', () => {
      clearTimeout(timer);
      this.waiters.delete(done);
    });
  }
}
