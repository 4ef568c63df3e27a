import { describe, expect, it } from 'vitest';
import { KEYS_KEPT, RedeliveryKeys } from '../../../services/ingest/spool/redelivery-keys.ts';

const key = (i: number) => `k${i}`;

describe('RedeliveryKeys', () => {
  it('knows at least the last KEYS_KEPT keys, and lets the older ones go', () => {
    const keys = new RedeliveryKeys();
    const total = 3 * KEYS_KEPT;
    for (let i = 0; i < total; i++) keys.remember(key(i), 1);
    // Every one of the last KEYS_KEPT is still a resend on a later connection.
    for (let i = total - KEYS_KEPT; i < total; i++) expect(keys.isResend(key(i), 2, false)).toBe(true);
    // The first ones are long gone: a new message.
    for (let i = 0; i < 10; i++) expect(keys.isResend(key(i), 2, false)).toBe(false);
  });

  it('a key remembered again counts from then, not from its first arrival', () => {
    const keys = new RedeliveryKeys();
    keys.remember(key(0), 1);
    for (let i = 1; i < KEYS_KEPT; i++) keys.remember(key(i), 1);
    keys.remember(key(0), 1);
    for (let i = KEYS_KEPT; i < 2 * KEYS_KEPT - 1; i++) keys.remember(key(i), 1);
    expect(keys.isResend(key(0), 2, false)).toBe(true);
  });

  it('a repeat on the same connection is a new message unless marked DUP', () => {
    const keys = new RedeliveryKeys();
    keys.remember(key(1), 7);
    expect(keys.isResend(key(1), 7, false)).toBe(false);
    expect(keys.isResend(key(1), 7, true)).toBe(true);
  });

  it('adopting more keys than it keeps holds the newest', () => {
    const keys = new RedeliveryKeys();
    keys.adopt(Array.from({ length: 2 * KEYS_KEPT }, (_, i) => key(i)));
    expect(keys.isResend(key(2 * KEYS_KEPT - 1), 1, false)).toBe(true);
    expect(keys.isResend(key(KEYS_KEPT), 1, false)).toBe(true);
    expect(keys.isResend(key(KEYS_KEPT - 1), 1, false)).toBe(false);
  });
});
