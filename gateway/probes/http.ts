import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { answered, type DeviceProbe, down, type ProbeResult, socketDown, timedOut } from './probe.ts';
import { round } from './tcp.ts';

const Pattern = z.string().refine(
  (s) => {
    try {
      new RegExp(s, 'u');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not a valid regular expression' },
);

const HttpConfig = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  method: z.enum(['GET', 'HEAD']).default('GET'),
  /** Status codes that count as answering; a captive portal often answers 302 to its login page. */
  expectStatus: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
  /** A regular expression the body must match (the portal's title, a status page's "OK"). */
  bodyMatch: Pattern.optional(),
  /** A certificate expiring within this many days makes the result `degraded / tls-expiring`. */
  tlsWarnDays: z.number().int().min(0).max(365).default(14),
  /** Accept a certificate no CA vouches for (devices' self-signed ones); its expiry is still read. */
  insecure: z.boolean().default(false),
  latencyDegradedMs: z.number().int().positive().optional(),
  /** HTTP Basic credentials for a status page behind a login (a loudspeaker controller's). */
  basicAuth: z
    .strictObject({ user: z.string().min(1).max(128), password: z.string().min(1).max(256) })
    .optional(),
});
export type HttpConfig = z.output<typeof HttpConfig>;

/** The body is read up to this many bytes for `bodyMatch`: a status page, not a download. */
const MAX_BODY_BYTES = 256 * 1024;
const DAY_MS = 86_400_000;

/**
 * HTTP(S) GET/HEAD on a fresh connection (no keep-alive, so latency is what a user sees):
 * status, time to the response head, body match, and for HTTPS the certificate's days left.
 * The captive-portal check of public Wi-Fi is this probe on the portal page with `bodyMatch`
 * (the portal answers and shows its login text). Redirects are not followed: a 302 is judged
 * as a status, as the portal's own answer.
 */
export const http: DeviceProbe<HttpConfig> = {
  kind: 'http',
  label: { vi: 'Trang web (HTTP/HTTPS)', en: 'Web page (HTTP/HTTPS)' },
  configSchema: HttpConfig,
  secretKeys: ['password'],
  exampleConfig: {
    url: 'http://192.168.20.1/login',
    method: 'GET',
    expectStatus: [200],
    bodyMatch: 'Wi-Fi',
    tlsWarnDays: 14,
    insecure: false,
  },
  probe(target, signal) {
    return new Promise<ProbeResult>((resolve) => {
      if (signal.aborted) return resolve(timedOut(signal));
      const url = new URL(target.url);
      const started = performance.now();
      let settled = false;
      const finish = (r: ProbeResult) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        req.destroy();
        resolve(r);
      };
      const onAbort = () => finish(timedOut(signal));
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, {
        method: target.method,
        agent: false,
        rejectUnauthorized: !target.insecure,
        headers: {
          'user-agent': 'canhxa-probe/1',
          connection: 'close',
          ...(target.basicAuth ? { authorization: basic(target.basicAuth) } : {}),
        },
      });
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('error', (err: NodeJS.ErrnoException) => finish(requestError(err, url.host)));
      req.once('response', (res) => {
        const latencyMs = round(performance.now() - started);
        const cert = certificate(res);
        readBody(res, target.method === 'HEAD' || !target.bodyMatch).then(
          (body) => finish(judge(target, res.statusCode ?? 0, body, latencyMs, cert)),
          (err: NodeJS.ErrnoException) => finish(requestError(err, url.host)),
        );
      });
      req.end();
    });
  },
};

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

function judge(
  target: HttpConfig,
  status: number,
  body: string,
  latencyMs: number,
  cert: { daysLeft: number } | undefined,
): ProbeResult {
  const metrics: Record<string, number> = { latencyMs, httpStatus: status };
  if (cert) metrics.tlsDaysLeft = cert.daysLeft;
  const with_ = (r: ProbeResult): ProbeResult => ({ ...r, metrics });
  if (!target.expectStatus.includes(status))
    return with_(down('http-status', { status, expected: target.expectStatus.join(', ') }));
  if (target.bodyMatch && target.method !== 'HEAD' && !new RegExp(target.bodyMatch, 'u').test(body))
    return with_(down('http-body-mismatch', { pattern: target.bodyMatch }));
  if (cert && cert.daysLeft < 0) return with_(down('tls-expired', { daysAgo: -cert.daysLeft }));
  if (cert && cert.daysLeft <= target.tlsWarnDays)
    return {
      verdict: 'degraded',
      reason: {
        code: 'tls-expiring',
        params: { daysLeft: cert.daysLeft, thresholdDays: target.tlsWarnDays },
      },
      metrics,
    };
  return answered(target, latencyMs, metrics);
}
