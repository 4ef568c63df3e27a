import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real Debian snmpd (net-snmp 5.9) for the SNMP probe tests, on a free loopback UDP port, with
 * a v2c community and a v3 authPriv user. A missing binary fails with the install line (STYLE §3).
 *
 * `-C` skips the system's snmpd.conf, and with it the persistent directory's conf; net-snmp accepts
 * `createUser` in the main conf too, and writes the localised keys (usmUser) to the persistent
 * directory (SNMP_PERSISTENT_DIR, in the temp dir) on exit. MIBS/MIBDIRS are emptied so the agent
 * does not spend a second printing that the MIB files of Debian's snmp-mibs-downloader are absent.
 */
export const SNMPD_BIN = process.env.CANHXA_SNMPD ?? '/usr/sbin/snmpd';
export const SNMPD_INSTALL = 'apt-get update && apt-get install -y snmpd';

export const SNMP_COMMUNITY = 'cx-test-ro';
export const SNMP_V3_USER = { name: 'cxprobe', authKey: 'cx-auth-secret-1', privKey: 'cx-priv-secret-1' };

export interface RunningSnmpd {
  readonly port: number;
  /** Stops and starts the agent on the same port: its sysUpTime starts again from 0. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** `extraConf`: more snmpd.conf lines, e.g. `override` to make the agent misbehave on purpose. */
export async function startSnmpd(extraConf: readonly string[] = []): Promise<RunningSnmpd> {
  if (!existsSync(SNMPD_BIN))
    throw new Error(`snmpd not found at ${SNMPD_BIN}. Install it: ${SNMPD_INSTALL}`);
  const dir = mkdtempSync(join(tmpdir(), 'cx-snmpd-'));
  const persist = join(dir, 'persist');
  mkdirSync(persist);
  const conf = join(dir, 'snmpd.conf');
  const u = SNMP_V3_USER;
  writeFileSync(
    conf,
    [
      `rocommunity ${SNMP_COMMUNITY} 127.0.0.1`,
      `createUser ${u.name} SHA "${u.authKey}" AES "${u.privKey}"`,
      `rouser ${u.name} authpriv`,
      ...extraConf,
      '',
    ].join('\n'),
  );
  const port = await freeUdpPort();
  let child: ChildProcess | null = null;
  let log = '';
  const start = async () => {
    log = '';
    const c = spawn(SNMPD_BIN, ['-f', '-Lo', '-C', '-c', conf, `udp:127.0.0.1:${port}`], {
      env: { ...process.env, MIBS: '', MIBDIRS: join(dir, 'no-mibs'), SNMP_PERSISTENT_DIR: persist },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
    c.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    // "NET-SNMP version 5.9.3" is printed once the agent listens.
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (log.includes('NET-SNMP version')) return resolve();
        if (c.exitCode !== null) return reject(new Error(`snmpd exited ${c.exitCode}: ${log.slice(-500)}`));
        setTimeout(check, 20);
      };
      check();
    });
  };
  const kill = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  const onExit = () => void (child as ChildProcess | null)?.kill('SIGKILL');
  process.once('exit', onExit);
  await start();
  return {
    port,
    async restart() {
      await kill();
      await start();
    },
    async stop() {
      await kill();
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
