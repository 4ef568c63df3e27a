import { connect } from 'node:net';
import { digestAuthorization, parseChallenge } from './digest.ts';

/** What DESCRIBE on a stream URI found (RFC 2326 §10.2). */
export type DescribeOutcome =
  | { readonly kind: 'sdp'; readonly sdp: string; readonly latencyMs: number }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'auth-refused' }
  | { readonly kind: 'garbage'; readonly detail: string }
  | { readonly kind: 'socket'; readonly err: NodeJS.ErrnoException }
  | { readonly kind: 'aborted' };

/** An SDP bigger than this is not a camera's: a stream description is a few hundred bytes. */
const MAX_RESPONSE_BYTES = 64 * 1024;

interface RtspResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** Parses one complete response from `buf`, or undefined while more bytes are needed. */
function parseResponse(buf: string): RtspResponse | undefined | 'garbage' {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > 8 && !buf.startsWith('RTSP/') ? 'garbage' : undefined;
  const [statusLine = '', ...lines] = buf.slice(0, end).split('\r\n');
  const m = /^RTSP\/1\.\d (\d{3})/.exec(statusLine);
  if (!m) return 'garbage';
  const headers = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const length = Number(headers.get('content-length') ?? 0);
  const body = Buffer.from(buf.slice(end + 4), 'latin1');
  if (body.length < length) return undefined;
  return { status: Number(m[1]), headers, body: body.subarray(0, length).toString('utf8') };
}

/**
 * DESCRIBE `uri` on one TCP connection: sent without credentials first, and again with digest
 * auth (CSeq 2) when challenged, as RTSP clients do. Credentials in the URI are not used (cameras
 * return a stream URI without them). Resolves, never rejects; the socket is gone when it does.
 */
export function rtspDescribe(
  uri: string,
  creds: { readonly username: string; readonly password: string },
  signal: AbortSignal,
): Promise<DescribeOutcome> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ kind: 'aborted' });
    const url = new URL(uri);
    const started = performance.now();
    const socket = connect({ host: url.hostname, port: Number(url.port || 554) });
    let buf = '';
    let cseq = 0;
    let done = false;
    const finish = (o: DescribeOutcome) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(o);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    const send = (authorization?: string) => {
      cseq++;
      socket.write(
        `DESCRIBE ${uri} RTSP/1.0\r\nCSeq: ${cseq}\r\nAccept: application/sdp\r\nUser-Agent: canhxa-probe/1\r\n${authorization ? `Authorization: ${authorization}\r\n` : ''}\r\n`,
      );
    };
    socket.once('connect', () => send());
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'socket', err }));
    socket.once('close', () => finish({ kind: 'garbage', detail: 'connection closed' }));
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.length > MAX_RESPONSE_BYTES) return finish({ kind: 'garbage', detail: 'response too large' });
      const r = parseResponse(buf);
      if (r === undefined) return;
      if (r === 'garbage') return finish({ kind: 'garbage', detail: 'not an RTSP response' });
      buf = '';
      if (r.status === 401) {
        const challenge = r.headers.get('www-authenticate');
        if (cseq > 1 || !challenge || !/^Digest/i.test(challenge)) return finish({ kind: 'auth-refused' });
        return send(digestAuthorization(parseChallenge(challenge), creds, 'DESCRIBE', uri));
      }
      if (r.status !== 200) return finish({ kind: 'status', status: r.status });
      finish({ kind: 'sdp', sdp: r.body, latencyMs: Math.round(performance.now() - started) });
    });
  });
}

/** Whether an SDP (RFC 4566 §5.14) describes a video media section. */
export function sdpHasVideo(sdp: string): boolean {
  return /^m=video /m.test(sdp);
}
