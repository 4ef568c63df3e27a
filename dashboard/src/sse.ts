/**
 * Live updates from GET /api/stream (Server-Sent Events). The server filters events per role.
 * EventSource reconnects by itself after a dropped connection; when the server refuses it outright
 * (401, 5xx), readyState becomes CLOSED and we reconnect with backoff. After any gap, `resync` runs so
 * that state changes missed while disconnected are fetched, not lost.
 */
import type { HeardEvent, StateEvent } from './types.ts';

export type LiveStatus = 'connecting' | 'live' | 'lost';

export interface StreamHandlers {
  state(e: StateEvent): void;
  heard(e: readonly HeardEvent[]): void;
  status(s: LiveStatus): void;
  resync(): void;
}

function parse<T>(ev: Event): T | null {
  try {
    return JSON.parse((ev as MessageEvent<string>).data) as T;
  } catch (err) {
    console.warn('stream: bad event data', err);
    return null;
  }
}

/** Opens the stream; returns a function that closes it for good. */
export function connectStream(h: StreamHandlers, url = '/api/stream'): () => void {
  let es: EventSource | null = null;
  let closed = false;
  let hadGap = false;
  let retryMs = 2000;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    if (closed) return;
    h.status('connecting');
    es = new EventSource(url, { withCredentials: true });
    es.addEventListener('open', () => {
      retryMs = 2000;
      h.status('live');
      if (hadGap) h.resync();
      hadGap = false;
    });
    es.addEventListener('error', () => {
      hadGap = true;
      h.status('lost');
      if (es?.readyState === EventSource.CLOSED) {
        es.close();
        timer = setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, 60_000);
      }
    });
    es.addEventListener('state', (ev) => {
      const d = parse<StateEvent>(ev);
      if (d) h.state(d);
    });
    es.addEventListener('heard', (ev) => {
      const d = parse<HeardEvent | HeardEvent[]>(ev);
      if (d) h.heard(Array.isArray(d) ? d : [d]);
    });
  };
  open();

  return () => {
    closed = true;
    clearTimeout(timer);
    es?.close();
  };
}
