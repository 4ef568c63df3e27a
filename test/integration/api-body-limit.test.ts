import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const post = (body: string, lang: string) =>
  fetch(`${app.apiUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-language': lang },
    body,
  });

describe('API request bodies', () => {
  it('answers a body over the limit with 413, the limit, and the message in the reader’s language', async () => {
    const big = JSON.stringify({ username: 'quantri.talai', password: 'x'.repeat(40_000) });
    const vi = await post(big, 'vi');
    expect(vi.status).toBe(413);
    const viBody = (await vi.json()) as { code: string; message: string; params: Record<string, number> };
    expect(viBody).toMatchObject({
      code: 'CX_PAYLOAD_TOO_LARGE',
      params: { limitBytes: 32_768, limitKb: 32 },
    });
    expect(viBody.message).toContain('tối đa 32 KB');
    const en = (await (await post(big, 'en')).json()) as { message: string };
    expect(en.message).toContain('at most 32 KB');
  });

  it('still answers an unreadable body with 400', async () => {
    const res = await post('{"username":', 'en');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('CX_BAD_REQUEST');
  });
});
