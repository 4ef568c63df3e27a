import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign, verifySignature } from '../../../services/ioc/signature.ts';

const SECRET = 'bí-mật-chung-của-ioc-0123456789abcdef';
const BODY = '{"v":1,"id":"state:42","event":"state","data":{"deviceId":"lt-loa-01","name":"Cụm loa ấp 1"}}';

describe('webhook signature', () => {
  it('is sha256= and the hex HMAC-SHA256 of the exact body bytes', () => {
    expect(sign(SECRET, BODY)).toBe(
      `sha256=${createHmac('sha256', SECRET).update(Buffer.from(BODY, 'utf8')).digest('hex')}`,
    );
  });

  it('verifies the body it was made for, and nothing else', () => {
    const header = sign(SECRET, BODY);
    expect(verifySignature(SECRET, BODY, header)).toBe(true);
    expect(verifySignature(SECRET, Buffer.from(BODY), header)).toBe(true);
    expect(verifySignature(SECRET, BODY.replace('42', '43'), header)).toBe(false);
    expect(verifySignature(`${SECRET}x`, BODY, header)).toBe(false);
    // Text normalised differently is different bytes: receivers must verify the raw body.
    expect(verifySignature(SECRET, BODY.normalize('NFD'), header)).toBe(false);
    expect(verifySignature(SECRET, BODY, undefined)).toBe(false);
    expect(verifySignature(SECRET, BODY, 'sha256=00')).toBe(false);
  });
});
