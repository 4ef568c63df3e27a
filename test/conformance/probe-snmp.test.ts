import { SNMP_COMMUNITY, startSnmpd } from '../setup/snmpd.ts';
import { closedPort } from '../standins/probe-targets.ts';
import { probeConformance } from './probe.suite.ts';

probeConformance('snmp', async () => {
  const agent = await startSnmpd();
  const v2 = { version: '2c', community: SNMP_COMMUNITY, host: '127.0.0.1', port: agent.port };
  return {
    reachable: { ...v2, ifIndex: 1 },
    // A wrong community is dropped silently by the agent (RFC 3584 §5.2.1): the request times out.
    unreachable: { ...v2, community: 'not-ours', requestTimeoutMs: 500 },
    hanging: { ...v2, port: await closedPort(), requestTimeoutMs: 10_000 },
    invalid: [
      { version: '2c', host: '127.0.0.1' },
      { version: '3', host: '127.0.0.1', user: { name: 'u', level: 'authPriv', authKey: 'longenough' } },
      { version: '1', community: 'public', host: '127.0.0.1' },
    ],
    close: () => agent.stop(),
  };
});
