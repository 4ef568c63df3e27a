import { connect } from 'node:net';
import { z } from 'zod';
import { type DeviceProbe, OK, type ProbeResult, socketDown, timedOut } from './probe.ts';

const TcpConfig = z.strictObject({
  /** IP address or DNS name of the device. */
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65_535),
  /** Connect time above this is `degraded / latency-high`; none by default. */
  latencyDegradedMs: z.number().int().positive().optional(),
});
export type TcpConfig = z.output<typeof TcpConfig>;

/**
 * TCP connect: the port accepts a connection (a camera's RTSP 554, a loudspeaker controller's
 * web port). Latency is the time to the SYN-ACK as the kernel reports it (connect event), so it
 * includes name resolution when `host` is a name. Nothing is sent; the socket is closed at once.
 */
export const tcp: DeviceProbe<TcpConfig> = {
  kind: 'tcp',
  label: { vi: 'Kết nối TCP', en: 'TCP connect' },
  configSchema: TcpConfig,
  exampleConfig: { host: '192.168.10.20', port: 554 },
  probe(target, signal) {
    return new Promise<ProbeResult>((resolve) => {
      if (signal.aborted) return resolve(timedOut(signal));
      const started = performance.now();
      const socket = connect({ host: target.host, port: target.port });
      const finish = (result: ProbeResult) => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(result);
      };
      const onAbort = () => finish(timedOut(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        const latencyMs = round(performance.now() - started);
        const slow = target.latencyDegradedMs !== undefined && latencyMs > target.latencyDegradedMs;
        finish({
          verdict: slow ? 'degraded' : 'up',
          reason: slow
            ? { code: 'latency-high', params: { latencyMs, thresholdMs: target.latencyDegradedMs! } }
            : OK,
          metrics: { latencyMs },
        });
      });
      socket.once('error', (err: NodeJS.ErrnoException) =>
        finish(socketDown(err, `${target.host}:${target.port}`, 'tcp-refused')),
      );
    });
  },
};

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
