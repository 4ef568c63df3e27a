import { z } from 'zod';
import { answered, type DeviceProbe, down, type ProbeResult } from './probe.ts';
import { getPage, isPage, type Page } from './support/http-get.ts';

export const Pattern = z.string().refine(
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

/** HTTP Basic credentials; `password` is a secret (`passwordRef` in a commune file). */
export const BasicAuth = z.strictObject({
  user: z.string().min(1).max(128),
  password: z.string().min(1).max(256),
});

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
  basicAuth: BasicAuth.optional(),
});
export type HttpConfig = z.output<typeof HttpConfig>;

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
  async probe(target, signal) {
    const page = await getPage(
      {
        url: target.url,
        method: target.method,
        insecure: target.insecure,
        basicAuth: target.basicAuth,
        skipBody: target.method === 'HEAD' || !target.bodyMatch,
      },
      signal,
    );
    return isPage(page) ? judge(target, page) : page;
  },
};

function judge(target: HttpConfig, { status, body, latencyMs, cert }: Page): ProbeResult {
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
