import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge } from '../../../gateway/probes/icmp.ts';
import { CannotJudgeError } from '../../../gateway/probes/probe.ts';
import { snmpProbe } from '../../../gateway/probes/snmp.ts';
import { counterDelta, isReboot } from '../../../gateway/probes/support/snmp-io.ts';
import { WIFI_CLIENTS_METRIC } from '../../../services/protocol/metrics.ts';
import { type RunningSnmpd, SNMP_COMMUNITY, SNMP_V3_USER, startSnmpd } from '../../setup/snmpd.ts';

const poll = (raw: unknown) => {
  const config = snmpProbe.configSchema.parse(raw);
  return { config, run: () => snmpProbe.probe(config, AbortSignal.timeout(5000)) };
};

describe('snmp probe against a real snmpd', () => {
  let agent: RunningSnmpd;
  let odd: RunningSnmpd;
  beforeAll(async () => {
    // The second agent misbehaves on purpose: interface 1 reported down, its 64-bit counter a string.
    [agent, odd] = await Promise.all([
      startSnmpd(),
      startSnmpd([
        'override .1.3.6.1.2.1.2.2.1.8.1 integer 2',
        'override .1.3.6.1.2.1.31.1.1.1.10.1 octet_str "lots"',
      ]),
    ]);
  });
  afterAll(async () => {
    await Promise.all([agent?.stop(), odd?.stop()]);
  });

  const v3 = () => ({
    version: '3',
    host: '127.0.0.1',
    port: agent.port,
    user: { name: SNMP_V3_USER.name, authKey: SNMP_V3_USER.authKey, privKey: SNMP_V3_USER.privKey },
  });

  it('v3 authPriv: uptime, the uplink interface up, and traffic rates from the second poll on', async () => {
    const p = poll({ ...v3(), ifIndex: 1 });
    const first = await p.run();
    expect(first).toMatchObject({ verdict: 'up', reason: { code: 'ok' } });
    expect(first.metrics.uptimeSec).toBeGreaterThanOrEqual(0);
    expect(first.metrics.ifInBps).toBeUndefined();
    // snmpd caches the interface table for a few seconds: poll until a fresh reading shows traffic
    // (our own SNMP packets cross lo).
    await expect
      .poll(async () => (await p.run()).metrics.ifInBps, { timeout: 20_000, interval: 500 })
      .toBeGreaterThan(0);
  });

  it('v3 with a wrong key cannot judge: it throws snmp-auth (recorded unknown, not down)', async () => {
    const bad = poll({ ...v3(), user: { ...v3().user, authKey: 'not-the-key-1' } });
    const err = await bad.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CannotJudgeError);
    expect((err as CannotJudgeError).reason.code).toBe('snmp-auth');
  });

  it('a restarted agent (sysUpTime went down) gives one snmp-reboot event', async () => {
    const p = poll({ version: '2c', community: SNMP_COMMUNITY, host: '127.0.0.1', port: agent.port });
    await p.run();
    // sysUpTime counts hundredths: wait until the agent has been up long enough for a drop to show.
    await expect
      .poll(async () => (await p.run()).metrics.uptimeSec, { timeout: 10_000, interval: 200 })
      .toBeGreaterThanOrEqual(1);
    await agent.restart();
    const after = await p.run();
    expect(after.events).toEqual([
      expect.objectContaining({
        type: 'snmp-reboot',
        severity: 'warning',
        detail: expect.objectContaining({ previousUptimeSec: expect.any(Number) }),
      }),
    ]);
    expect((await p.run()).events).toBeUndefined();
  });

  it('associated clients from a configured column; a column of the wrong type is snmp-bad-type', async () => {
    const v2 = { version: '2c', community: SNMP_COMMUNITY, host: '127.0.0.1', port: agent.port };
    // ifNumber stands in for a vendor's client count: an Integer the agent really serves.
    const ok = await poll({ ...v2, wifiClients: { oid: '1.3.6.1.2.1.2.1' } }).run();
    expect(ok.metrics[WIFI_CLIENTS_METRIC]).toBeGreaterThanOrEqual(1);
    expect(ok.metrics).not.toHaveProperty('wifiClients'); // one name on every side: services/protocol/metrics.ts
    const bad = await poll({ ...v2, wifiClients: { oid: '1.3.6.1.2.1.1.1' } }).run(); // sysDescr: a string
    expect(bad).toMatchObject({
      verdict: 'degraded',
      reason: { code: 'snmp-bad-type', params: { got: 'OctetString' } },
    });
  });

  it('an agent reporting the uplink interface down is down / if-down; a counter of the wrong type is named', async () => {
    const v2 = { version: '2c', community: SNMP_COMMUNITY, host: '127.0.0.1', port: odd.port };
    const r = await poll({ ...v2, ifIndex: 1, counters32: true }).run();
    expect(r.reason).toEqual({ code: 'if-down', params: { ifIndex: 1, status: 2 } });
    const typed = await poll({ ...v2, ifIndex: 1 }).run();
    expect(typed).toMatchObject({
      verdict: 'degraded',
      reason: { code: 'snmp-bad-type', params: { oid: '1.3.6.1.2.1.31.1.1.1.10.1', expected: 'Counter64' } },
    });
  });
});

describe('snmp counters and uptime', () => {
  it('a 32-bit counter that went down wrapped once; a 64-bit one was reset (no rate)', () => {
    expect(counterDelta(4_294_967_000n, 200n, 32)).toBe(496n);
    expect(counterDelta(5000n, 200n, 64)).toBeNull();
    expect(counterDelta(100n, 300n, 64)).toBe(200n);
  });

  it('sysUpTime wrapping after 497 days is not a reboot; a real drop is', () => {
    const max = 2n ** 32n;
    expect(isReboot(max - 1000n, 5000n, 60_000)).toBe(false); // 1000 + 5000 ticks = 60 s
    expect(isReboot(8_640_000n, 3000n, 60_000)).toBe(true); // a day of uptime, now 30 s
    expect(isReboot(3000n, 9000n, 60_000)).toBe(false);
    expect(isReboot(150n, 20n, 300)).toBe(true); // an agent restarted between two quick polls
  });
});

describe('icmp output parsing (iputils-ping 20221126, LC_ALL=C)', () => {
  const cfg = { host: '10.0.0.1', count: 5, waitSec: 1, lossDegradedPct: 20 };
  it('reads loss and latency; 40 % loss is degraded, all lost is down', () => {
    const some =
      '5 packets transmitted, 3 received, 40% packet loss, time 812ms\nrtt min/avg/max/mdev = 1.1/2.5/4.0/0.9 ms\n';
    expect(judge(cfg, 0, some, '')).toMatchObject({
      verdict: 'degraded',
      reason: { code: 'icmp-loss', params: { lossPct: 40, sent: 5, received: 3 } },
      metrics: { lossPct: 40, latencyMs: 2.5, latencyMinMs: 1.1, latencyMaxMs: 4 },
    });
    const none = '5 packets transmitted, 0 received, 100% packet loss, time 4100ms\n';
    expect(judge(cfg, 1, none, '')).toMatchObject({ verdict: 'down', reason: { code: 'icmp-loss' } });
    const said =
      'From 10.0.0.254 icmp_seq=1 Destination Host Unreachable\n5 packets transmitted, 0 received, +5 errors, 100% packet loss\n';
    expect(judge(cfg, 1, said, '').reason.code).toBe('icmp-unreachable');
  });
  it('no route and unknown names are verdicts, not exceptions', () => {
    expect(judge(cfg, 2, '', 'ping: connect: Network is unreachable\n').reason.code).toBe(
      'address-unroutable',
    );
    expect(judge(cfg, 2, '', 'ping: nowhere.invalid: Name or service not known\n').reason.code).toBe(
      'address-unresolved',
    );
  });
});
