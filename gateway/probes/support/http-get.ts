import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { down, type ProbeResult, socketDown, timedOut } from '../probe.ts';
import { round } from '../tcp.ts';

/** What the HTTP(S) probes ask for; the fields are those of their configs. */
export interface PageRequest {
  readonly url: string;
  readonly method: 'GET' | 'HEAD';
  readonly insecure: boolean;
  readonly basicAuth?: { readonly user: string; readonly password: string } | undefined;
  /** Skip the body (HEAD, or nothing will read it). */
  readonly skipBody: boolean;
}

/** A page that answered: status, time to the response head, body (capped), certificate days left. */
export interface Page {
  readonly status: number;
  readonly latencyMs: number;
  readonly body: string;
  readonly cert: { readonly daysLeft: number } | undefined;
}

/** The body is read up to this many bytes: a status page, not a download. */
const MAX_BODY_BYTES = 256 * 1024;
const DAY_MS = 86_400_000;

/**
 * One request on a fresh connection (no keep-alive, so latency is what a user sees). Resolves with
 * the page, or with the `down` verdict of a target that did not give one (refused, unroutable,
 * not HTTP, TLS refused, aborted). Never rejects.
 */
export function getPage(r: PageRequest, signal: AbortSignal): Promise<Page | ProbeResult> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(timedOut(signal));
    const url = new URL(r.url);
    const started = performance.now();
    let settled = false;
    const finish = (x: Page | ProbeResult) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(x);
    };
    const onAbort = () => finish(timedOut(signal));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: r.method,
      agent: false,
      rejectUnauthorized: !r.insecure,
      headers: {
        'user-agent': 'canhxa-probe/1',
        connection: 'close',
        ...(r.basicAuth ? { authorization: basic(r.basicAuth) } : {}),
      },
    });
    signal.addEventListener('abort', onAbort, { once: true });
    req.once('error', (err: NodeJS.ErrnoException) => finish(requestError(err, url.host)));
    req.once('response', (res) => {
      const latencyMs = round(performance.now() - started);
      const cert = certificate(res);
      readBody(res, r.skipBody).then(
        (body) => finish({ status: res.statusCode ?? 0, latencyMs, body, cert }),
        (err: NodeJS.ErrnoException) => finish(requestError(err, url.host)),
      );
    });
    req.end();
  });
}

export function isPage(x: Page | ProbeResult): x is Page {
  return 'status' in x;
}

/** RFC 7617: user-id ":" password, UTF-8, base64. */
function basic(auth: { user: string; password: string }): string {
  return `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
}

function certificate(res: IncomingMessage): { daysLeft: number } | undefined {
  const socket = res.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const validTo = socket.getPeerCertificate()?.valid_to;
  if (!validTo) return undefined;
  return { daysLeft: Math.floor((Date.parse(validTo) - Date.now()) / DAY_MS) };
}

function readBody(res: IncomingMessage, skip: boolean): Promise<string> {
  if (skip) {
    res.resume();
    return Promise.resolve('');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < MAX_BODY_BYTES) chunks.push(c);
      size += c.length;
    });
    res.once('end', () => resolve(Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8')));
    res.once('error', reject);
  });
}

function requestError(err: NodeJS.ErrnoException, host: string): ProbeResult {
  const code = err.code ?? 'unknown';
  // llhttp's parse errors: the port answers, but not with HTTP.
  if (code.startsWith('HPE_')) return down('http-garbage', { code });
  if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|SSL/.test(code) || err.message.includes('certificate'))
    return down('tls-invalid', { code });
  if (code === 'ECONNRESET' && err.message === 'socket hang up') return down('http-garbage', { code });
  return socketDown(err, host, 'http-refused');
}
