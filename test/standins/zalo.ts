/**
 * A Zalo Notification Service (ZNS) stand-in on a loopback port: POST /message/template with the
 * Official Account's `access_token` header and `{phone, template_id, template_data, tracking_id}`,
 * answered as ZNS does, HTTP 200 with `{error: 0, message: "Success", data: {msg_id, sent_time,
 * quota}}` or a non-zero `error` and its `message`. It can fail (-100 unknown error), hang (never
 * answer), or answer the daily quota error (-144) on request; a phone not in 84xxxxxxxxx form gets
 * -108 and a wrong token -124, as the real one does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ZnsMessage {
  readonly phone: string;
  readonly templateId: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly trackingId: string;
  readonly msgId: string;
  /** The whole request body as sent, to check that nothing else (an image) rode along. */
  readonly body: Readonly<Record<string, unknown>>;
}

export type ZaloMode = 'ok' | 'fail' | 'hang' | 'quota';

export class ZaloStandIn {
  readonly sent: ZnsMessage[] = [];
  /** Requests to /message/template, answered or not. */
  calls = 0;
  mode: ZaloMode = 'ok';
  /** The `message` of a 'fail' answer (a provider may echo what it was sent). */
  failMessage = 'Unknown error';
  private server: Server | undefined;
  private readonly hung = new Set<ServerResponse>();
  private nextId = 1;

  constructor(readonly token = 'zalo-oa-access-token-TEST') {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (body: unknown) => {
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/message/template') {
      res.writeHead(404).end();
      return;
    }
    this.calls++;
    if (req.headers.access_token !== this.token)
      return reply({ error: -124, message: 'Access token is invalid' });
    if (this.mode === 'hang') {
      this.hung.add(res);
      return;
    }
    if (this.mode === 'fail') return reply({ error: -100, message: this.failMessage });
    if (this.mode === 'quota') return reply({ error: -144, message: 'OA has exceeded daily quota for ZNS' });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return reply({ error: -122, message: 'Body format is invalid' });
    }
    const phone = String(body.phone ?? '');
    if (!/^84\d{9,10}$/.test(phone)) return reply({ error: -108, message: 'Phone number is invalid' });
    const data = body.template_data;
    if (typeof data !== 'object' || data === null)
      return reply({ error: -112, message: 'Template data is invalid' });
    const msgId = `zns-${this.nextId++}`;
    this.sent.push({
      phone,
      templateId: String(body.template_id ?? ''),
      data: data as Record<string, unknown>,
      trackingId: String(body.tracking_id ?? ''),
      msgId,
      body,
    });
    reply({
      error: 0,
      message: 'Success',
      data: {
        msg_id: msgId,
        sent_time: String(Date.now()),
        quota: { dailyQuota: '500', remainingQuota: String(500 - this.sent.length) },
      },
    });
  }
}
