/**
 * Every error a person can see has a stable code, an HTTP status and an i18n key (`error.<code>`).
 * A test checks each code has Vietnamese and English text.
 */
export const ERROR_CODES = {
  CX_BAD_REQUEST: { status: 400, key: 'error.CX_BAD_REQUEST' },
  CX_UNAUTHENTICATED: { status: 401, key: 'error.CX_UNAUTHENTICATED' },
  CX_BAD_LOGIN: { status: 401, key: 'error.CX_BAD_LOGIN' },
  CX_FORBIDDEN: { status: 403, key: 'error.CX_FORBIDDEN' },
  CX_NOT_FOUND: { status: 404, key: 'error.CX_NOT_FOUND' },
  CX_TOO_MANY_LOGINS: { status: 429, key: 'error.CX_TOO_MANY_LOGINS' },
  CX_STORE_UNAVAILABLE: { status: 503, key: 'error.CX_STORE_UNAVAILABLE' },
  /** External broker mode: the device's commune is ingested by another worker process. */
  CX_SHARD_ELSEWHERE: { status: 409, key: 'error.CX_SHARD_ELSEWHERE' },
  CX_INTERNAL: { status: 500, key: 'error.CX_INTERNAL' },
  /** A request body over the API's limit (params: limitBytes, limitKb). */
  CX_PAYLOAD_TOO_LARGE: { status: 413, key: 'error.CX_PAYLOAD_TOO_LARGE' },
  /** `/` asked for while dashboard/dist is missing (the service builds it at start; it failed). */
  CX_DASHBOARD_NOT_BUILT: { status: 503, key: 'error.CX_DASHBOARD_NOT_BUILT' },
  /** Signed in with a generated or reset password: only choosing a new one is allowed until then. */
  CX_PASSWORD_CHANGE_REQUIRED: { status: 403, key: 'error.CX_PASSWORD_CHANGE_REQUIRED' },
  /** The current password given to change it is wrong. */
  CX_WRONG_PASSWORD: { status: 400, key: 'error.CX_WRONG_PASSWORD' },
  /** A new password that fails the rule (params.problem: too-short | too-weak | contains-name | same-as-old). */
  CX_WEAK_PASSWORD: { status: 400, key: 'error.CX_WEAK_PASSWORD' },
  /** The right password for an account an admin has locked. */
  CX_ACCOUNT_LOCKED: { status: 403, key: 'error.CX_ACCOUNT_LOCKED' },
  /** An admin acting on their own account where that would lock them out (lock, reset). */
  CX_NOT_ON_SELF: { status: 409, key: 'error.CX_NOT_ON_SELF' },
  /** External broker mode: device passwords live in the broker's own password file. */
  CX_SECRET_ELSEWHERE: { status: 409, key: 'error.CX_SECRET_ELSEWHERE' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class CxError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly key: string;
  readonly params: Readonly<Record<string, string | number>>;
  readonly fields?: Readonly<Record<string, string>>;
  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; params?: Record<string, string | number>; fields?: Record<string, string> } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'CxError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.key = ERROR_CODES[code].key;
    this.params = opts.params ?? {};
    if (opts.fields) this.fields = opts.fields;
  }
}

/** The store could not take or give data; callers spool and retry, never drop. */
export class StoreError extends CxError {
  /** The HTTP status a remote store (InfluxDB) answered, if it answered; `status` stays ours (503). */
  readonly upstreamStatus?: number;
  /** The remote store's answer, whole (e.g. "partial write: field type conflict…"), so a caller can quarantine. */
  readonly upstreamBody?: string;
  constructor(what: string, opts: { cause?: unknown; upstreamStatus?: number; upstreamBody?: string } = {}) {
    super('CX_STORE_UNAVAILABLE', `store: ${what}`, { cause: opts.cause });
    this.name = 'StoreError';
    if (opts.upstreamStatus !== undefined) this.upstreamStatus = opts.upstreamStatus;
    if (opts.upstreamBody !== undefined) this.upstreamBody = opts.upstreamBody;
  }
}

/**
 * An error's message followed by its causes' ("store: write batch of 200: database or disk is
 * full"), for the API and logs: a wrapper alone says what failed, not why.
 */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    const message = e instanceof Error ? e.message : String(e);
    if (!parts.some((p) => p.includes(message))) parts.push(message);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}
