import { spawn } from 'node:child_process';
import { z } from 'zod';
import { CannotJudgeError, type DeviceProbe, down, OK, type ProbeResult, timedOut } from './probe.ts';
import { round } from './tcp.ts';

const IcmpConfig = z.strictObject({
  /** IPv4/IPv6 address or DNS name; never starting with "-", which ping would take as an option. */
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[^-]/, 'must not start with "-" (ping would read it as an option)'),
  /** Echo requests per run, 0.2 s apart (the shortest interval iputils allows without root). */
  count: z.number().int().min(1).max(20).default(5),
  /** Seconds to wait for the last reply (ping -W). */
  waitSec: z.number().int().min(1).max(10).default(1),
  /** Loss at or above this (but under 100 %) is `degraded`; 100 % is `down`. */
  lossDegradedPct: z.number().min(0).max(100).default(20),
  /** Average round trip above this is `degraded`; none by default. */
  latencyDegradedMs: z.number().positive().optional(),
});
export type IcmpConfig = z.output<typeof IcmpConfig>;

export const PING_BIN = process.env.CANHXA_PING ?? 'ping';
const PING_INSTALL = 'apt-get install -y iputils-ping';

/**
 * ICMP echo through the system `ping` (Debian's iputils-ping, installed with cap_net_raw), so the
 * gateway never runs as root. The alternative, unprivileged ICMP datagram sockets, needs
 * net.ipv4.ping_group_range to include our group (Debian's default "1 0" includes nobody) and a
 * native addon, since Node has no ICMP socket; the ping binary works everywhere iputils does.
 * Output is parsed with LC_ALL=C: "N packets transmitted, M received" and
 * "rtt min/avg/max/mdev = a/b/c/d ms".
 */
export const icmp: DeviceProbe<IcmpConfig> = {
  kind: 'icmp',
  label: { vi: 'Ping (ICMP)', en: 'Ping (ICMP)' },
  configSchema: IcmpConfig,
  exampleConfig: { host: '192.168.1.1', count: 5, waitSec: 1, lossDegradedPct: 20 },
  probe(target, signal) {
    if (signal.aborted) return Promise.resolve(timedOut(signal));
    const args = ['-n', '-c', String(target.count), '-W', String(target.waitSec), '-i', '0.2', target.host];
    return new Promise<ProbeResult>((resolve, reject) => {
      const child = spawn(PING_BIN, args, { env: { LC_ALL: 'C', PATH: process.env.PATH ?? '' } });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const onAbort = () => {
        child.kill('SIGKILL');
        resolve(timedOut(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let failed = false;
      child.once('error', (e: NodeJS.ErrnoException) => {
        failed = true;
        signal.removeEventListener('abort', onAbort);
        if (e.code === 'ENOENT')
          reject(
            new CannotJudgeError(
              { code: 'probe-tool-missing', params: { tool: 'ping', install: PING_INSTALL } },
              `ping not found. Fix: ${PING_INSTALL}`,
            ),
          );
        else reject(e);
      });
      child.once('close', (code) => {
        signal.removeEventListener('abort', onAbort);
        // A spawn that failed (ENOENT) also emits close, with a negative code: judged above.
        if (failed || signal.aborted) return;
        // judge throws when it cannot read ping's output; in this listener that would be uncaught.
        try {
          resolve(judge(target, code, out, err));
        } catch (e) {
          reject(e);
        }
      });
    });
  },
};

/** Exit 0: some replies; 1: none; 2: an error before or while sending (stderr says which). */
export function judge(target: IcmpConfig, code: number | null, out: string, err: string): ProbeResult {
  const counts = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!counts) {
    if (/unreachable|Invalid argument|Cannot assign|not permitted/i.test(err))
      return down('address-unroutable', { host: target.host, code: err.trim().split('\n')[0]! });
    if (/Name or service not known|Temporary failure in name resolution|No address/i.test(err))
      return down('address-unresolved', { host: target.host });
    throw new Error(`ping exited ${code} without statistics: ${err.trim().slice(0, 200)}`);
  }
  const sent = Number(counts[1]);
  const received = Number(counts[2]);
  const lossPct = sent > 0 ? round(((sent - received) / sent) * 100) : 100;
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(out);
  const metrics: Record<string, number> = { lossPct };
  if (rtt) {
    metrics.latencyMinMs = Number(rtt[1]);
    metrics.latencyMs = Number(rtt[2]);
    metrics.latencyMaxMs = Number(rtt[3]);
  }
  if (received === 0) {
    // "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable": a router said so.
    if (/Unreachable/.test(out)) return { ...down('icmp-unreachable', { host: target.host }), metrics };
    return { ...down('icmp-loss', { lossPct, sent, received }), metrics };
  }
  if (lossPct >= target.lossDegradedPct)
    return {
      verdict: 'degraded',
      reason: { code: 'icmp-loss', params: { lossPct, sent, received } },
      metrics,
    };
  const latencyMs = metrics.latencyMs;
  if (
    target.latencyDegradedMs !== undefined &&
    latencyMs !== undefined &&
    latencyMs > target.latencyDegradedMs
  )
    return {
      verdict: 'degraded',
      reason: { code: 'latency-high', params: { latencyMs, thresholdMs: target.latencyDegradedMs } },
      metrics,
    };
  return { verdict: 'up', reason: OK, metrics };
}
