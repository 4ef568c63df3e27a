import { closedPort, httpServer, silentServer } from '../standins/probe-targets.ts';
import { probeConformance } from './probe.suite.ts';

probeConformance('http', async () => {
  const [ok, hang, closed] = await Promise.all([
    httpServer((_q, s) => s.end('OK')),
    silentServer(),
    closedPort(),
  ]);
  return {
    reachable: { url: `http://127.0.0.1:${ok.port}/` },
    unreachable: { url: `http://127.0.0.1:${closed}/` },
    hanging: { url: `http://127.0.0.1:${hang.port}/` },
    invalid: [
      { url: 'ftp://127.0.0.1/' },
      { url: 'http://x/', bodyMatch: '(' },
      { url: 'http://x/', expectStatus: [] },
    ],
    close: async () => void (await Promise.all([ok.close(), hang.close()])),
  };
});
