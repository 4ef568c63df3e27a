import snmp, { type Session } from 'net-snmp';
import { z } from 'zod';
import { type DeviceProbe, OK, type ProbeEvent, type ProbeResult, timedOut } from './probe.ts';
import {
  BadVarbind,
  counterDelta,
  get,
  isReboot,
  numeric,
  sessionFailure,
  sumColumn,
  T,
} from './support/snmp-io.ts';
import { round } from './tcp.ts';
import { WIFI_CLIENTS_METRIC } from './wire.ts';

const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const IF_OPER_STATUS = '1.3.6.1.2.1.2.2.1.8';
/** IF-MIB ifHCInOctets / ifHCOutOctets (64-bit) and ifInOctets / ifOutOctets (32-bit). */
const OCTETS = {
  64: ['1.3.6.1.2.1.31.1.1.1.6', '1.3.6.1.2.1.31.1.1.1.10'],
  32: ['1.3.6.1.2.1.2.2.1.10', '1.3.6.1.2.1.2.2.1.16'],
};

/**
 * Associated Wi-Fi clients live in vendor MIBs only (IEEE 802.11 MIB has no count), one column per
 * radio/SSID to sum. MikroTik: MIKROTIK-MIB mtxrWlApClientCount; Ubiquiti UniFi: UBNT-UniFi-MIB
 * unifiVapNumStations.
 */
export const WIFI_CLIENT_COLUMNS = {
  mikrotik: '1.3.6.1.4.1.14988.1.1.1.3.1.6',
  'ubiquiti-unifi': '1.3.6.1.4.1.41112.1.6.1.2.1.8',
} as const;

const Oid = z.string().regex(/^\d+(\.\d+)+$/, 'is not a numeric OID (1.3.6.1...)');
const Common = {
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65_535).default(161),
  /** Per request; retries are the scheduler's. */
  requestTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
  /** ifIndex of the uplink interface: its ifOperStatus and traffic rates. None: uptime only. */
  ifIndex: z.number().int().min(1).optional(),
  /** Use the 32-bit ifInOctets/ifOutOctets for agents without IF-MIB's ifXTable. */
  counters32: z.boolean().default(false),
  /** Associated clients: a known model's column, or any column (`oid`) to sum. */
  wifiClients: z
    .union([
      z.strictObject({ model: z.enum(Object.keys(WIFI_CLIENT_COLUMNS) as ['mikrotik', 'ubiquiti-unifi']) }),
      z.strictObject({ oid: Oid }),
    ])
    .optional(),
};
const SnmpConfig = z.discriminatedUnion('version', [
  z.strictObject({ version: z.literal('2c'), community: z.string().min(1).max(64), ...Common }),
  z.strictObject({
    version: z.literal('3'),
    user: z
      .strictObject({
        name: z.string().min(1).max(32),
        level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']).default('authPriv'),
        authProtocol: z.enum(['md5', 'sha', 'sha256', 'sha512']).default('sha'),
        authKey: z.string().min(8).optional(),
        privProtocol: z.enum(['des', 'aes']).default('aes'),
        privKey: z.string().min(8).optional(),
      })
      .refine((u) => u.level === 'noAuthNoPriv' || u.authKey !== undefined, {
        path: ['authKey'],
        message: 'is required for authNoPriv and authPriv',
      })
      .refine((u) => u.level !== 'authPriv' || u.privKey !== undefined, {
        path: ['privKey'],
        message: 'is required for authPriv',
      }),
    ...Common,
  }),
]);
export type SnmpConfig = z.output<typeof SnmpConfig>;

/** What the previous poll of a target saw, for reboots and rates. */
interface LastPoll {
  readonly atMs: number;
  readonly uptime: bigint;
  readonly octets?: readonly [bigint, bigint];
}
const lastPolls = new WeakMap<SnmpConfig, LastPoll>();

/**
 * SNMP v2c/v3 (net-snmp): sysUpTime (a decrease since the last poll is an `snmp-reboot` event),
 * the uplink interface's ifOperStatus (not up(1) is `down / if-down`) and its traffic rates from
 * the previous poll's counters, and associated Wi-Fi clients where the model's MIB has them.
 * An agent that answers with wrong types or missing OIDs is alive: `degraded` with the OID named.
 */
export const snmpProbe: DeviceProbe<SnmpConfig> = {
  kind: 'snmp',
  label: { vi: 'SNMP (thiết bị mạng)', en: 'SNMP (network equipment)' },
  configSchema: SnmpConfig,
  secretKeys: ['community', 'authKey', 'privKey'],
  exampleConfig: {
    version: '2c',
    community: 'canhxa-ro',
    host: '192.168.1.1',
    port: 161,
    requestTimeoutMs: 2000,
    ifIndex: 1,
    counters32: false,
    wifiClients: { model: 'mikrotik' },
  },
  probe(target, signal) {
    if (signal.aborted) return Promise.resolve(timedOut(signal));
    const session = open(target);
    session.on('error', () => {}); // socket errors also fail the pending request, judged there
    const aborted = new Promise<ProbeResult>((resolve) =>
      signal.addEventListener('abort', () => resolve(timedOut(signal)), { once: true }),
    );
    return Promise.race([poll(target, session), aborted]).finally(() => session.close());
  },
};

function open(target: SnmpConfig): Session {
  const options = { port: target.port, retries: 0, timeout: target.requestTimeoutMs };
  if (target.version === '2c')
    return snmp.createSession(target.host, target.community, { ...options, version: snmp.Version2c });
  const u = target.user;
  return snmp.createV3Session(
    target.host,
    {
      name: u.name,
      level: snmp.SecurityLevel[u.level],
      authProtocol: snmp.AuthProtocols[u.authProtocol],
      authKey: u.authKey,
      privProtocol: snmp.PrivProtocols[u.privProtocol],
      privKey: u.privKey,
    },
    { ...options, version: snmp.Version3 },
  );
}

async function poll(target: SnmpConfig, session: Session): Promise<ProbeResult> {
  const started = performance.now();
  const bits = target.counters32 ? 32 : 64;
  const oids = [SYS_UPTIME];
  if (target.ifIndex !== undefined)
    oids.push(`${IF_OPER_STATUS}.${target.ifIndex}`, ...OCTETS[bits].map((o) => `${o}.${target.ifIndex}`));
  try {
    const vbs = await get(session, oids);
    const latencyMs = round(performance.now() - started);
    const atMs = Date.now();
    const uptime = numeric(vbs[0], SYS_UPTIME, [T.TimeTicks]);
    const metrics: Record<string, number> = { latencyMs, uptimeSec: Number(uptime / 100n) };
    const events: ProbeEvent[] = [];
    const prev = lastPolls.get(target);
    const rebooted = prev !== undefined && isReboot(prev.uptime, uptime, atMs - prev.atMs);
    if (rebooted)
      events.push({
        type: 'snmp-reboot',
        severity: 'warning',
        detail: { uptimeSec: Number(uptime / 100n), previousUptimeSec: Number(prev.uptime / 100n) },
      });
    let octets: readonly [bigint, bigint] | undefined;
    let status: bigint | undefined;
    if (target.ifIndex !== undefined) {
      status = numeric(vbs[1], oids[1]!, [T.Integer]);
      const counter = bits === 64 ? T.Counter64 : T.Counter32;
      octets = [numeric(vbs[2], oids[2]!, [counter]), numeric(vbs[3], oids[3]!, [counter])];
      if (prev?.octets && !rebooted)
        Object.assign(metrics, rates(prev.octets, octets, bits, atMs - prev.atMs));
    }
    if (target.wifiClients)
      metrics[WIFI_CLIENTS_METRIC] = Number(
        await sumColumn(
          session,
          'model' in target.wifiClients
            ? WIFI_CLIENT_COLUMNS[target.wifiClients.model]
            : target.wifiClients.oid,
        ),
      );
    lastPolls.set(target, { atMs, uptime, ...(octets ? { octets } : {}) });
    const ev = events.length ? { events } : {};
    // IF-MIB ifOperStatus: 1 up, 2 down, 3 testing, 5 dormant, 7 lowerLayerDown...
    if (status !== undefined && status !== 1n)
      return {
        verdict: 'down',
        reason: { code: 'if-down', params: { ifIndex: target.ifIndex!, status: Number(status) } },
        metrics,
        ...ev,
      };
    return { verdict: 'up', reason: OK, metrics, ...ev };
  } catch (err) {
    if (err instanceof BadVarbind) return err.result;
    return sessionFailure(err, target.host, target.version === '3' ? target.user.name : undefined);
  }
}

function rates(
  prev: readonly [bigint, bigint],
  cur: readonly [bigint, bigint],
  bits: 32 | 64,
  elapsedMs: number,
) {
  const out: Record<string, number> = {};
  if (elapsedMs <= 0) return out;
  const inDelta = counterDelta(prev[0], cur[0], bits);
  const outDelta = counterDelta(prev[1], cur[1], bits);
  if (inDelta !== null) out.ifInBps = Math.round((Number(inDelta) * 8 * 1000) / elapsedMs);
  if (outDelta !== null) out.ifOutBps = Math.round((Number(outDelta) * 8 * 1000) / elapsedMs);
  return out;
}
