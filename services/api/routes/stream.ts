import type { HeardNotice } from '../../shared/bus.ts';
import { route } from '../route.ts';
import { visibleDevices } from '../visibility.ts';

/**
 * Server-sent events: `state` on every state change and `heard` (batched last-heard times) for the
 * devices the user may see. SSE rather than WebSocket: one-way, survives proxies, reconnects itself.
 */
export const streamRoutes = [
  route({
    method: 'get',
    path: '/api/stream',
    access: 'signed-in',
    tag: 'overview',
    summary: 'Live device states (text/event-stream: events "state" and "heard").',
    handle({ deps, user, req, res }) {
      const ids = new Set(visibleDevices(deps, user!).map((d) => d.id));
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 3000\n\n');
      const send = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const offState = deps.bus.onState((c) => {
        if (ids.has(c.deviceId)) send('state', c);
      });
      const offHeard = deps.bus.onHeard((notices: readonly HeardNotice[]) => {
        const mine = notices.filter((n) => ids.has(n.deviceId));
        if (mine.length > 0) send('heard', mine);
      });
      // Comments keep idle proxies from closing the stream.
      const ping = setInterval(() => res.write(': ping\n\n'), 20_000).unref();
      req.on('close', () => {
        clearInterval(ping);
        offState();
        offHeard();
      });
      return res;
    },
  }),
];
