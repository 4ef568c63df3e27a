import { Agent, type IncomingMessage, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { basicAuthorization, digestAuthorization, parseChallenge } from './digest.ts';

export type SnapshotOutcome =
  | { readonly kind: 'image'; readonly bytes: Buffer }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'auth-refused' }
  | { readonly kind: 'too-large'; readonly maxBytes: number }
  | { readonly kind: 'socket'; readonly err: NodeJS.ErrnoException }
  | { readonly kind: 'aborted' };

/** A camera's JPEG snapshot is well under this; more is a stream or a misconfigured URI. */
export const MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;

/**
 * GET the snapshot URI: first without credentials, then answering the camera's challenge once,
 * digest (RFC 7616) or basic (RFC 7617), as ONVIF Media §5.3.4 (GetSnapshotUri) leaves to the
 * device. Resolves, never rejects.
 */
export function fetchSnapshot(
  uri: string,
  creds: { readonly username: string; readonly password: string },
  signal: AbortSignal,
): Promise<SnapshotOutcome> {
  return new Promise((resolve) => {
    const url = new URL(uri);
    const path = url.pathname + url.search;
    let done = false;
    let current: ReturnType<typeof request> | undefined;
    // One connection for the challenge and the answer to it (ends with the fetch).
    const agent =
      url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false })
        : new Agent({ keepAlive: true, maxSockets: 1 });
    const finish = (o: SnapshotOutcome) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      current?.destroy();
      agent.destroy();
      resolve(o);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    if (signal.aborted) return resolve({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    const get = (authorization?: string) => {
      const send = url.protocol === 'https:' ? httpsRequest : request;
      const req = send(url, {
        method: 'GET',
        agent,
        // Cameras present self-signed certificates; the snapshot is judged, not trusted.
        rejectUnauthorized: false,
        headers: { 'user-agent': 'canhxa-probe/1', ...(authorization ? { authorization } : {}) },
      });
      current = req;
      req.once('error', (err: NodeJS.ErrnoException) => finish({ kind: 'socket', err }));
      req.once('response', (res) => onResponse(res, authorization !== undefined));
      req.end();
    };
    const onResponse = (res: IncomingMessage, authed: boolean) => {
      if (res.statusCode === 401) {
        res.resume();
        const challenge = res.headers['www-authenticate'];
        if (authed || !challenge) return finish({ kind: 'auth-refused' });
        return get(
          /^Digest/i.test(challenge)
            ? digestAuthorization(parseChallenge(challenge), creds, 'GET', path)
            : basicAuthorization(creds),
        );
      }
      if (res.statusCode !== 200) {
        res.resume();
        return finish({ kind: 'status', status: res.statusCode ?? 0 });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_SNAPSHOT_BYTES) return finish({ kind: 'too-large', maxBytes: MAX_SNAPSHOT_BYTES });
        chunks.push(c);
      });
      res.once('end', () => finish({ kind: 'image', bytes: Buffer.concat(chunks) }));
      res.once('error', (err: NodeJS.ErrnoException) => finish({ kind: 'socket', err }));
    };
    get();
  });
}
