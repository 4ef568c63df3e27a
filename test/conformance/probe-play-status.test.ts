import { closedPort, httpServer, silentServer } from '../standins/probe-targets.ts';
import { probeConformance } from './probe.suite.ts';

probeConformance('play-status', async () => {
  const [ok, hang, closed] = await Promise.all([
    httpServer((_q, s) =>
      s.end(JSON.stringify({ lastPlayed: { id: 'sang', startedAt: Date.now() - 60_000 } })),
    ),
    silentServer(),
    closedPort(),
  ]);
  return {
    reachable: { url: `http://127.0.0.1:${ok.port}/` },
    unreachable: { url: `http://127.0.0.1:${closed}/` },
    hanging: { url: `http://127.0.0.1:${hang.port}/` },
    invalid: [
      { url: 'ftp://127.0.0.1/' },
      { url: 'http://x/', textPattern: '(?<item>\\w+)' },
      { url: 'http://x/', json: {}, textPattern: '(?<item>\\w+) (?<startedAt>\\S+)' },
      { url: 'http://x/', utcOffset: 'UTC+7' },
      { url: 'http://x/', items: { 'Bản tin sáng': 'Sáng' } },
    ],
    close: async () => void (await Promise.all([ok.close(), hang.close()])),
  };
});
