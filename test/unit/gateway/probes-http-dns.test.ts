import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dns } from '../../../gateway/probes/dns.ts';
import { http } from '../../../gateway/probes/http.ts';
import type { ProbeResult } from '../../../gateway/probes/probe.ts';
import { type DnsStandIn, startDnsServer } from '../../standins/dns-server.ts';
import {
  type Closable,
  closedPort,
  garbageServer,
  httpServer,
  httpsServer,
  PORTAL_HTML,
  selfSignedCert,
} from '../../standins/probe-targets.ts';

const run = <C>(
  p: { configSchema: { parse(x: unknown): C }; probe(c: C, s: AbortSignal): Promise<ProbeResult> },
  raw: unknown,
) => p.probe(p.configSchema.parse(raw), AbortSignal.timeout(5000));

describe('http probe', () => {
  const servers: Closable[] = [];
  let base = '';
  let tlsPort = 0;
  let portalPort = 0;
  let garbagePort = 0;
  beforeAll(async () => {
    const site = await httpServer((req, res) => {
      if (req.url === '/down') res.writeHead(503).end('bảo trì');
      else if (req.url === '/status')
        // A loudspeaker controller's status page behind HTTP Basic (RFC 7617), UTF-8 password.
        res
          .writeHead(
            req.headers.authorization === `Basic ${Buffer.from('loa:mật-khẩu').toString('base64')}`
              ? 200
              : 401,
          )
          .end('PLAYING');
      else if (req.url === '/login') res.writeHead(302, { location: '/portal' }).end();
      else res.end('<h1>Ủy ban nhân dân xã Tà Lài</h1>');
    });
    const portal = await httpServer((_q, res) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PORTAL_HTML),
    );
    const tls = await httpsServer(selfSignedCert(5), (_q, res) => res.end('ok'));
    const garbage = await garbageServer();
    servers.push(site, portal, tls, garbage);
    base = `http://127.0.0.1:${site.port}`;
    tlsPort = tls.port;
    portalPort = portal.port;
    garbagePort = garbage.port;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('a certificate expiring within tlsWarnDays is degraded / tls-expiring with the days left', async () => {
    const r = await run(http, { url: `https://127.0.0.1:${tlsPort}/`, insecure: true, tlsWarnDays: 14 });
    expect(r.verdict).toBe('degraded');
    expect(r.reason.code).toBe('tls-expiring');
    expect(r.metrics.tlsDaysLeft).toBeGreaterThanOrEqual(3);
    expect(r.metrics.tlsDaysLeft).toBeLessThanOrEqual(5);
  });

  it('the same certificate is fine when the warning threshold is shorter', async () => {
    const r = await run(http, { url: `https://127.0.0.1:${tlsPort}/`, insecure: true, tlsWarnDays: 2 });
    expect(r.verdict).toBe('up');
  });

  it('a certificate no CA vouches for is down / tls-invalid unless insecure is set', async () => {
    const r = await run(http, { url: `https://127.0.0.1:${tlsPort}/` });
    expect(r.verdict).toBe('down');
    expect(r.reason.code).toBe('tls-invalid');
  });

  it('captive portal: the login page answering with its text is up; another page is body-mismatch', async () => {
    const portal = await run(http, { url: `http://127.0.0.1:${portalPort}/`, bodyMatch: 'Đăng nhập Wi-Fi' });
    expect(portal).toMatchObject({ verdict: 'up', metrics: { httpStatus: 200 } });
    const other = await run(http, { url: `${base}/`, bodyMatch: 'Đăng nhập Wi-Fi' });
    expect(other.reason).toEqual({ code: 'http-body-mismatch', params: { pattern: 'Đăng nhập Wi-Fi' } });
  });

  it('a redirect is judged as the status it is: up when expected, http-status otherwise', async () => {
    expect((await run(http, { url: `${base}/login`, expectStatus: [302] })).verdict).toBe('up');
    const r = await run(http, { url: `${base}/down` });
    expect(r).toMatchObject({
      verdict: 'down',
      reason: { code: 'http-status', params: { status: 503, expected: '200' } },
    });
  });

  it('sends HTTP Basic credentials when given: without them the status page is down / http-status 401', async () => {
    const r = await run(http, { url: `${base}/status`, basicAuth: { user: 'loa', password: 'mật-khẩu' } });
    expect(r).toMatchObject({ verdict: 'up' });
    const anon = await run(http, { url: `${base}/status` });
    expect(anon).toMatchObject({ verdict: 'down', reason: { code: 'http-status', params: { status: 401 } } });
  });

  it('an endpoint answering garbage is down / http-garbage, not an exception', async () => {
    const r = await run(http, { url: `http://127.0.0.1:${garbagePort}/` });
    expect(r.verdict).toBe('down');
    expect(r.reason.code).toBe('http-garbage');
  });

  it('an unroutable address is down / address-unroutable', async () => {
    const r = await run(http, { url: 'http://255.255.255.255:80/' });
    expect(r.reason.code).toBe('address-unroutable');
  });
});

describe('dns probe', () => {
  let server: DnsStandIn;
  let at: { server: string; port: number };
  beforeAll(async () => {
    server = await startDnsServer({
      records: { 'ubnd.talai.gov.vn': ['10.0.0.5', '10.0.0.6'], 'v6only.talai.gov.vn': ['fd00::5'] },
      servfail: ['hong.talai.gov.vn'],
    });
    at = { server: '127.0.0.1', port: server.port };
  });
  afterAll(() => server.stop());

  it('resolves against the given server and checks the expected address', async () => {
    expect(await run(dns, { ...at, name: 'ubnd.talai.gov.vn', expect: ['10.0.0.6'] })).toMatchObject({
      verdict: 'up',
    });
    expect(
      await run(dns, { ...at, name: 'v6only.talai.gov.vn', type: 'AAAA', expect: ['fd00::5'] }),
    ).toMatchObject({
      verdict: 'up',
    });
    const wrong = await run(dns, { ...at, name: 'ubnd.talai.gov.vn', expect: ['10.9.9.9'] });
    expect(wrong.reason).toEqual({
      code: 'dns-mismatch',
      params: { name: 'ubnd.talai.gov.vn', got: '10.0.0.5, 10.0.0.6', expected: '10.9.9.9' },
    });
  });

  it('names each DNS failure: NXDOMAIN, no record of the type, SERVFAIL, nothing listening', async () => {
    expect((await run(dns, { ...at, name: 'khong.talai.gov.vn' })).reason.code).toBe('dns-nxdomain');
    expect((await run(dns, { ...at, name: 'v6only.talai.gov.vn' })).reason.code).toBe('dns-nodata');
    expect((await run(dns, { ...at, name: 'hong.talai.gov.vn' })).reason.code).toBe('dns-servfail');
    const refused = await run(dns, {
      server: '127.0.0.1',
      port: await closedPort(),
      name: 'ubnd.talai.gov.vn',
    });
    expect(refused.verdict).toBe('down');
    expect(refused.reason.code).toBe('dns-refused');
  });
});
