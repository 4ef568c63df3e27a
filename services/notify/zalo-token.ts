/**
 * Zalo Official Account access tokens, refreshed (issue #14). An OA access token lives about 25 h;
 * a new one comes from `POST https://oauth.zaloapp.com/v4/oa/access_token` (form fields
 * `refresh_token`, `app_id`, `grant_type=refresh_token`; header `secret_key`), answering
 * `{access_token, refresh_token, expires_in}` with `expires_in` in seconds. The refresh token is
 * single-use and rotated by every refresh, so the answer is written to the service database
 * before its access token is used, and a restart continues from the latest one. The commune's
 * initial refresh token (a secret) counts only until the first rotation, or again once an operator
 * sets a different one (after re-authorising the app, when the stored chain was lost).
 */
import { createHash } from 'node:crypto';
import { NotifyError } from './notifier.ts';
import type { NotifierState } from './notifier-state.ts';

export interface ZaloOAuthConfig {
  readonly url: string;
  readonly appId: string;
  readonly secretKeyRef: string;
  readonly refreshTokenRef: string;
  /** Refresh when the access token has less than this left. */
  readonly refreshBeforeMin: number;
}

interface Stored {
  readonly accessToken: string | null;
  readonly refreshToken: string;
  readonly expiresTs: number;
  /** sha256 of the initial refresh token this chain descends from. */
  readonly seed: string;
}

interface RefreshAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: string | number;
  error?: number;
  error_name?: string;
  error_description?: string;
  message?: string;
}

/**
 * A refresh is not tied to the send that asked for it: once Zalo has rotated the refresh token the
 * answer must be read and kept, even if the send gave up waiting (its own timeout).
 */
const REFRESH_TIMEOUT_MS = 60_000;
const KEY = 'oauth';

export class ZaloTokens {
  private inflight: Promise<string> | null = null;

  constructor(
    private readonly cfg: ZaloOAuthConfig,
    private readonly secret: (name: string) => string,
    private readonly state: NotifierState,
    private readonly now: () => number,
  ) {}

  /** An access token with more than `refreshBeforeMin` left, refreshed first when needed. */
  current(signal: AbortSignal): Promise<string> {
    const s = this.load();
    if (s.accessToken && s.expiresTs - this.now() > this.cfg.refreshBeforeMin * 60_000)
      return Promise.resolve(s.accessToken);
    return this.refresh(s.accessToken, signal);
  }

  /**
   * A new access token after Zalo refused `stale` (expired or invalid). One refresh at a time; a
   * token already replaced since `stale` was handed out is given as is.
   */
  refresh(stale: string | null, signal: AbortSignal): Promise<string> {
    const s = this.load();
    if (s.accessToken && s.accessToken !== stale && s.expiresTs > this.now())
      return Promise.resolve(s.accessToken);
    if (!this.inflight) {
      this.inflight = this.exchange(s).finally(() => {
        this.inflight = null;
      });
      // Its failure reaches every send waiting on it; one that gave up waiting must not leave it unhandled.
      this.inflight.catch(() => {});
    }
    return untilAborted(this.inflight, signal);
  }

  /** Text with the tokens in use replaced, for an error a person may read. */
  redact(text: string): string {
    const s = this.load();
    let out = text;
    for (const v of [s.accessToken, s.refreshToken])
      if (v && v.length >= 4) out = out.split(v).join('[redacted]');
    return out;
  }

  private load(): Stored {
    const initial = this.secret(this.cfg.refreshTokenRef);
    const seed = createHash('sha256').update(initial).digest('hex');
    const raw = this.state.get(KEY);
    const stored = raw ? (JSON.parse(raw) as Stored) : undefined;
    return stored?.seed === seed ? stored : { accessToken: null, refreshToken: initial, expiresTs: 0, seed };
  }

  private async exchange(s: Stored): Promise<string> {
    let res: Response;
    try {
      res = await fetch(this.cfg.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          secret_key: this.secret(this.cfg.secretKeyRef),
        },
        body: new URLSearchParams({
          refresh_token: s.refreshToken,
          app_id: this.cfg.appId,
          grant_type: 'refresh_token',
        }),
        signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
      });
    } catch (err) {
      throw new NotifyError(
        `zalo: token refresh: ${(err as Error).name === 'TimeoutError' ? 'no answer' : 'unreachable'}`,
      );
    }
    const a = (await res.json().catch(() => ({}))) as RefreshAnswer;
    if (!res.ok || !a.access_token || !a.refresh_token) {
      const why = `${a.error ?? res.status} ${a.error_name ?? a.error_description ?? a.message ?? ''}`;
      // Not permanent: the message waits, retried with backoff. Only a refusal of the token asks the
      // operator for a new one; Zalo being down or busy (5xx, 429, no answer body) does not.
      const refused = a.error !== undefined || res.status === 400 || res.status === 401;
      const fix = refused
        ? `Fix: re-authorise the OA for this app in Zalo for Developers and set secret "${this.cfg.refreshTokenRef}" to the new refresh token; queued messages wait for it`
        : 'Zalo did not answer the refresh; it is retried with backoff and queued messages wait';
      throw new NotifyError(`zalo: token refresh failed: ${this.redact(why.trim()).slice(0, 200)}. ${fix}`);
    }
    const next: Stored = {
      accessToken: a.access_token,
      refreshToken: a.refresh_token,
      expiresTs: this.now() + Number(a.expires_in ?? 0) * 1000,
      seed: s.seed,
    };
    // Before the access token is used: the old refresh token is spent already.
    this.state.set(KEY, JSON.stringify(next));
    return next.accessToken!;
  }
}

function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new NotifyError('zalo: token refresh: no answer'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new NotifyError('zalo: token refresh: no answer'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
