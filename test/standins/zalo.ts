/**
 * A Zalo Notification Service (ZNS) stand-in on a loopback port: POST /message/template with the
 * Official Account's `access_token` header and `{phone, template_id, template_data, tracking_id}`,
 * answered as ZNS does, HTTP 200 with `{error: 0, message: "Success", data: {msg_id, sent_time,
 * quota}}` or a non-zero `error` and its `message`. It can fail (-100 unknown error), hang (never
 * answer), or answer the daily quota error (-144) on request; a phone not in 84xxxxxxxxx form gets
 * -108 and a wrong token -124, as the real one does.
 *
 * It also speaks the OA OAuth v4 refresh (POST /v4/oa/access_token, form `refresh_token`, `app_id`,
 * `grant_type=refresh_token`, header `secret_key`), answering `{access_token, refresh_token,
 * expires_in}` with a new pair each time: the refresh token is single-use (a reused or unknown
 * one is refused, as is a wrong app id or secret key), and `expireAccessTokens()` makes every
 * access token issued so far answer "access token invalid" (-124 for ZNS, or `tokenErrorCode`).
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
  /** OAuth: the app, the one refresh token that works now, those spent, the live access tokens. */
  readonly appId = '1234567890123456789';
  readonly secretKey = 'zalo-app-secret-TEST';
  refreshToken = 'zalo-refresh-0-TEST';
  readonly spentRefreshTokens = new Set<string>();
  private readonly liveAccess = new Set<string>();
  /** Successful refreshes, and refused ones. */
  refreshes = 0;
  refusedRefreshes = 0;
  /** Sends refused for an invalid or expired token. */
  tokenRefusals = 0;
  /** 'fail': every refresh is refused (the app's secret changed); 'down': OAuth answers 503. */
  oauthMode: 'ok' | 'fail' | 'down' = 'ok';
  expiresInSec = 90_000;
  /** What ZNS answers for a token it does not take: -124 (ZNS) or -216 (the OA API's code). */
  tokenErrorCode = -124;

  constructor(readonly token = 'zalo-oa-access-token-TEST') {}

  /** Every access token issued so far stops working (as after its ~25 h). */
  expireAccessTokens(): void {
    this.liveAccess.clear();
  }

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
    if (req.method === 'POST' && req.url === '/v4/oa/access_token' && this.oauthMode === 'down') {
      res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>503 Service Unavailable</h1>');
      return;
    }
    if (req.method === 'POST' && req.url === '/v4/oa/access_token')
      return reply(this.refresh(req, Buffer.concat(chunks).toString('utf8')));
    if (req.method !== 'POST' || req.url !== '/message/template') {
      res.writeHead(404).end();
      return;
    }
    this.calls++;
    const token = String(req.headers.access_token ?? '');
    if (token !== this.token && !this.liveAccess.has(token)) {
      this.tokenRefusals++;
      return reply({ error: this.tokenErrorCode, message: 'Access token is invalid' });
    }
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

  private refresh(req: IncomingMessage, form: string): Record<string, unknown> {
    const f = new URLSearchParams(form);
    const refuse = (error: number, name: string) => {
      this.refusedRefreshes++;
      return { error, error_name: name, error_description: name };
    };
    if (req.headers.secret_key !== this.secretKey || f.get('app_id') !== this.appId)
      return refuse(-14002, 'Invalid app id or secret key');
    if (f.get('grant_type') !== 'refresh_token') return refuse(-14001, 'Invalid grant type');
    const given = f.get('refresh_token') ?? '';
    if (this.oauthMode === 'fail') return refuse(-14014, 'Refresh token is invalid');
    if (given !== this.refreshToken) return refuse(-14014, 'Refresh token is invalid');
    this.spentRefreshTokens.add(given);
    this.refreshes++;
    this.refreshToken = `zalo-refresh-${this.refreshes}-TEST`;
    const access = `zalo-access-${this.refreshes}-TEST`;
    this.liveAccess.add(access);
    // Zalo gives expires_in as a string of seconds.
    return { access_token: access, refresh_token: this.refreshToken, expires_in: String(this.expiresInSec) };
  }
}
