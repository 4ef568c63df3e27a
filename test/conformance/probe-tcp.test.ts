import { blackholePort, closedPort, tcpListener } from '../standins/probe-targets.ts';
import { probeConformance } from './probe.suite.ts';

probeConformance('tcp', async () => {
  const [open, hole, closed] = await Promise.all([tcpListener(), blackholePort(), closedPort()]);
  return {
    reachable: { host: '127.0.0.1', port: open.port },
    unreachable: { host: '127.0.0.1', port: closed },
    hanging: { host: '127.0.0.1', port: hole.port },
    invalid: [{ host: '127.0.0.1' }, { host: '127.0.0.1', port: 70_000 }, { host: 'x', port: 80, extra: 1 }],
    close: async () => void (await Promise.all([open.close(), hole.close()])),
  };
});
