import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import { answered, type DeviceProbe, down, type ProbeResult, timedOut } from './probe.ts';
import { round } from './tcp.ts';

const DnsConfig = z.strictObject({
  /** The DNS server to ask (the commune's resolver, a router's forwarder), as an IP address. */
  server: z.string().refine((s) => isIP(s) !== 0, { message: 'is not an IP address' }),
  port: z.number().int().min(1).max(65_535).default(53),
  /** The name to resolve. */
  name: z.string().min(1).max(253),
  type: z.enum(['A', 'AAAA']).default('A'),
  /** Addresses of which at least one must be in the answer; any answer will do when absent. */
  expect: z.array(z.string().refine((s) => isIP(s) !== 0, { message: 'is not an IP address' })).optional(),
  latencyDegradedMs: z.number().int().positive().optional(),
});
export type DnsConfig = z.output<typeof DnsConfig>;

/**
 * Resolves one name against one server with node:dns's Resolver (c-ares; no system resolver, no
 * cache, one try: retries are the scheduler's). c-ares' error codes map to reasons: ENOTFOUND is
 * NXDOMAIN, ENODATA an empty answer, ESERVFAIL/EREFUSED the server's own refusal, ECONNREFUSED
 * nothing listening (an ICMP port-unreachable), ETIMEOUT no answer.
 */
export const dns: DeviceProbe<DnsConfig> = {
  kind: 'dns',
  label: { vi: 'Phân giải tên miền (DNS)', en: 'Name resolution (DNS)' },
  configSchema: DnsConfig,
  exampleConfig: { server: '192.168.1.1', port: 53, name: 'dichvucong.gov.vn', type: 'A' },
  async probe(target, signal) {
    if (signal.aborted) return timedOut(signal);
    // c-ares' own timeout is set long: the runtime's timeout (the signal) bounds the run.
    const resolver = new Resolver({ timeout: 60_000, tries: 1 });
    const server = isIP(target.server) === 6 ? `[${target.server}]` : target.server;
    resolver.setServers([`${server}:${target.port}`]);
    const onAbort = () => resolver.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    const started = performance.now();
    try {
      const answer =
        target.type === 'A' ? await resolver.resolve4(target.name) : await resolver.resolve6(target.name);
      return judge(target, answer, round(performance.now() - started));
    } catch (err) {
      if (signal.aborted) return timedOut(signal);
      return failure(target, (err as NodeJS.ErrnoException).code ?? 'unknown');
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  },
};

function judge(target: DnsConfig, answer: string[], latencyMs: number): ProbeResult {
  const metrics = { latencyMs };
  if (target.expect && !target.expect.some((a) => answer.includes(a)))
    return {
      ...down('dns-mismatch', {
        name: target.name,
        got: answer.join(', ') || '-',
        expected: target.expect.join(', '),
      }),
      metrics,
    };
  return answered(target, latencyMs, metrics);
}

function failure(target: DnsConfig, code: string): ProbeResult {
  const server = `${target.server}:${target.port}`;
  switch (code) {
    case 'ENOTFOUND':
      return down('dns-nxdomain', { name: target.name, server });
    case 'ENODATA':
      return down('dns-nodata', { name: target.name, type: target.type });
    case 'ESERVFAIL':
    case 'ENOTIMP':
    case 'EFORMERR':
    case 'EBADRESP':
      return down('dns-servfail', { server, code });
    case 'EREFUSED':
    case 'ECONNREFUSED':
      return down('dns-refused', { server });
    case 'ETIMEOUT':
      return timedOut(0);
    default:
      return down('network-error', { host: server, code });
  }
}
