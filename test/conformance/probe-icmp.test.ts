import { probeConformance } from './probe.suite.ts';

// 240.0.0.1 is reserved (RFC 1112 class E) and never assigned: its pings are lost or a router
// says unreachable. Loopback always answers, so "hanging" is a run long enough to be aborted.
probeConformance('icmp', async () => ({
  reachable: { host: '127.0.0.1', count: 2 },
  unreachable: { host: '240.0.0.1', count: 2, waitSec: 1 },
  hanging: { host: '127.0.0.1', count: 20 },
  invalid: [{ host: '' }, { host: '-V' }, { host: '127.0.0.1', count: 0 }, { host: '127.0.0.1', ttl: 3 }],
  close: async () => {},
}));
