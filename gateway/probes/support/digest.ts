import { createHash, randomBytes } from 'node:crypto';

/** The parameters of a `WWW-Authenticate: Digest …` challenge (RFC 7616 §3.3), names lower-cased. */
export function parseChallenge(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^\s*Digest\s+/i, '').matchAll(/([\w-]+)=(?:"([^"]*)"|([^,\s]*))/g))
    out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  return out;
}

/**
 * The `Authorization: Digest …` answer to a challenge (RFC 7616 §3.4; RFC 2617 when the challenge
 * names no qop, as RTSP cameras mostly send). MD5 and SHA-256, the two algorithms cameras offer.
 */
export function digestAuthorization(
  challenge: Record<string, string>,
  creds: { readonly username: string; readonly password: string },
  method: string,
  uri: string,
): string {
  const algorithm = (challenge.algorithm ?? 'MD5').toUpperCase();
  const hashName = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  const h = (s: string) => createHash(hashName).update(s, 'utf8').digest('hex');
  const realm = challenge.realm ?? '';
  const nonce = challenge.nonce ?? '';
  const ha1 = h(`${creds.username}:${realm}:${creds.password}`);
  const ha2 = h(`${method}:${uri}`);
  const qop = challenge.qop
    ?.split(',')
    .map((q) => q.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  const parts = [`username="${creds.username}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`];
  if (qop) {
    const nc = '00000001';
    const cnonce = randomBytes(8).toString('hex');
    parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
    parts.push(`response="${h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`)}"`);
  } else parts.push(`response="${h(`${ha1}:${nonce}:${ha2}`)}"`);
  if (challenge.algorithm) parts.push(`algorithm=${challenge.algorithm}`);
  if (challenge.opaque) parts.push(`opaque="${challenge.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

/** RFC 7617: user-id ":" password, UTF-8, base64. */
export function basicAuthorization(creds: { readonly username: string; readonly password: string }): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
}
