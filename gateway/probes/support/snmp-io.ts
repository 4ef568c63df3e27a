import snmp, { type Session, type Varbind } from 'net-snmp';
import { CannotJudgeError, down, type ProbeResult, UNROUTABLE_CODES } from '../probe.ts';

/** SNMP types by number (RFC 2578 §7.1), as net-snmp reports them. */
export const T = {
  Integer: 2,
  OctetString: 4,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

/** A varbind that is not what the MIB promises: the result says which OID and which type. */
export class BadVarbind extends Error {
  readonly result: ProbeResult;
  constructor(result: ProbeResult) {
    super(result.reason.code);
    this.result = result;
  }
}

function typeName(type: number): string {
  return snmp.ObjectType[type] ?? String(type);
}

/** The value of `vb` as a bigint, if its type is one of `allowed`; else BadVarbind. */
export function numeric(vb: Varbind | undefined, oid: string, allowed: readonly number[]): bigint {
  if (!vb || vb.type === T.NoSuchObject || vb.type === T.NoSuchInstance || vb.type === T.EndOfMibView)
    throw new BadVarbind({ ...down('snmp-no-such', { oid }), verdict: 'degraded' });
  if (!allowed.includes(vb.type))
    throw new BadVarbind({
      ...down('snmp-bad-type', { oid, got: typeName(vb.type), expected: allowed.map(typeName).join('|') }),
      verdict: 'degraded',
    });
  if (Buffer.isBuffer(vb.value)) return vb.value.length ? BigInt(`0x${vb.value.toString('hex')}`) : 0n;
  return BigInt(vb.value as number);
}

export function get(session: Session, oids: string[]): Promise<Varbind[]> {
  return new Promise((resolve, reject) =>
    session.get(oids, (err, vbs) => (err ? reject(err) : resolve(vbs))),
  );
}

/** Sums a table column (e.g. associated clients per radio) with GETBULK walks. */
export function sumColumn(session: Session, oid: string): Promise<bigint> {
  return new Promise((resolve, reject) => {
    let sum = 0n;
    let problem: BadVarbind | undefined;
    session.subtree(
      oid,
      20,
      (vbs) => {
        try {
          for (const vb of vbs) sum += numeric(vb, vb.oid, [T.Integer, T.Gauge32, T.Counter32]);
        } catch (e) {
          problem = e as BadVarbind;
          return true;
        }
        return undefined;
      },
      (err) => (problem ? reject(problem) : err ? reject(err) : resolve(sum)),
    );
  });
}

/**
 * The increase of a counter between two polls. A 32-bit counter wraps at 2^32 (RFC 2863 §3.1.6:
 * at 100 Mbit/s ifInOctets wraps in under 6 minutes), so a decrease is one wrap. A 64-bit one
 * never wraps in practice, so its decrease is a discontinuity (agent restart): no rate this time.
 */
export function counterDelta(prev: bigint, cur: bigint, bits: 32 | 64): bigint | null {
  if (cur >= prev) return cur - prev;
  return bits === 32 ? cur + (1n << 32n) - prev : null;
}

/**
 * Whether sysUpTime going from `prev` to `cur` ticks (1/100 s) over `elapsedMs` is a reboot. It is
 * a 32-bit TimeTicks that wraps after 497 days: a decrease is the wrap only if `prev` was close
 * enough to 2^32 to cross it in the elapsed time and `cur` lands where the wrap would put it
 * (±10 % of the elapsed time, at least 60 s). Any other decrease is a reboot (or an agent restart:
 * sysUpTime is the agent's, RFC 3418).
 */
export function isReboot(prev: bigint, cur: bigint, elapsedMs: number): boolean {
  if (cur >= prev) return false;
  const wrap = 1n << 32n;
  const elapsedTicks = BigInt(Math.max(0, Math.round(elapsedMs / 10)));
  const tolerance = BigInt(Math.max(6000, Math.round(elapsedMs / 100)));
  if (prev + elapsedTicks + tolerance < wrap) return true;
  const expected = (prev + elapsedTicks) % wrap;
  const off = cur > expected ? cur - expected : expected - cur;
  return off > tolerance;
}

/** A session error as a verdict; wrong SNMPv3 credentials cannot be judged (unknown). */
export function sessionFailure(err: unknown, host: string, user?: string): ProbeResult {
  if (err instanceof snmp.RequestTimedOutError) return down('snmp-timeout', { host });
  const e = err as { code?: unknown; message?: string };
  const message = String(e.message ?? err).slice(0, 200);
  if (err instanceof snmp.ResponseInvalidError && e.code === snmp.ResponseInvalidCode.EAuthFailure)
    throw new CannotJudgeError(
      { code: 'snmp-auth', params: { user: user ?? '-', message } },
      `SNMPv3 user refused: ${message}`,
      { cause: err },
    );
  if (typeof e.code === 'string' && UNROUTABLE_CODES.has(e.code))
    return down('address-unroutable', { host, code: e.code });
  return down('snmp-error', { message });
}
