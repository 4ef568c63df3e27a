import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a webhook delivery (docs/ioc.md). */
export const SIGNATURE_HEADER = 'X-CanhXa-Signature';
export const TIMESTAMP_HEADER = 'X-CanhXa-Timestamp';
export const EVENT_HEADER = 'X-CanhXa-Event';
export const DELIVERY_HEADER = 'X-CanhXa-Delivery';

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, the value of X-CanhXa-Signature. */
export function sign(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a receiver does: recompute over the raw body and compare in constant time. */
export function verifySignature(
  secret: string,
  body: string | Buffer,
  header: string | null | undefined,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
