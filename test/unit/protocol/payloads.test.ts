import { describe, expect, it } from 'vitest';
import { StatusV1 } from '../../../services/protocol/payloads.ts';
import { VERDICTS } from '../../../services/protocol/verdicts.ts';

describe('status v1', () => {
  it('takes every verdict, unknown included, with a reason from the catalogue', () => {
    expect(VERDICTS).toEqual(['up', 'degraded', 'down', 'unknown']);
    for (const state of VERDICTS) expect(StatusV1.safeParse({ v: 1, state }).success).toBe(true);
    expect(
      StatusV1.parse({
        v: 1,
        state: 'unknown',
        reason: { code: 'adapter-config', params: { detail: 'host missing' } },
      }).reason,
    ).toEqual({ code: 'adapter-config', params: { detail: 'host missing' } });
    expect(StatusV1.parse({ v: 1, state: 'down', reason: { code: 'auth-failed' } }).reason).toEqual({
      code: 'auth-failed',
      params: {},
    });
  });

  it('still reads a free-text reason from gateways deployed before codes, as gateway-text', () => {
    expect(StatusV1.parse({ v: 1, state: 'down', reason: 'không ping được' }).reason).toEqual({
      code: 'gateway-text',
      params: { text: 'không ping được' },
    });
    // What every device's last will says stays the code it names.
    expect(StatusV1.parse({ v: 1, state: 'offline', reason: 'last-will' }).reason).toEqual({
      code: 'last-will',
      params: {},
    });
    expect(StatusV1.safeParse({ v: 1, state: 'down', reason: 'x'.repeat(201) }).success).toBe(false);
  });

  it('refuses unknown codes, codes only the engine may give, and params that do not match the code', () => {
    const refused = (reason: unknown) =>
      StatusV1.safeParse({ v: 1, state: 'down', reason }).success === false;
    expect(refused({ code: 'cosmic-rays', params: {} })).toBe(true);
    expect(refused({ code: 'heartbeat-late', params: { seconds: 90 } })).toBe(true);
    expect(refused({ code: 'no-reply', params: {} })).toBe(true);
    expect(refused({ code: 'no-reply', params: { timeoutMs: 2000, extra: 1 } })).toBe(true);
    expect(refused({ code: 'no-reply', params: { timeoutMs: { nested: true } } })).toBe(true);
    expect(refused({ code: 'no-reply', params: { timeoutMs: 2000 } })).toBe(false);
  });
});
