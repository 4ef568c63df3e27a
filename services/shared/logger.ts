import { type Logger, pino } from 'pino';

/**
 * The one root logger. Secrets are redacted by path so a careless `log.info({ user })` cannot leak
 * a password hash, a session token or a device password.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'phone',
  '*.phone',
  // Probe secrets (SNMP community and v3 keys) held by the embedded probe runtime.
  'community',
  '*.community',
  'authKey',
  '*.authKey',
  'privKey',
  '*.privKey',
  'headers.cookie',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
];

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = opts.level ?? process.env.CANHXA_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info');
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { svc: 'canhxa' } },
    opts.destination as pino.DestinationStream | undefined,
  );
}

export const rootLogger: Logger = createLogger();
export type { Logger };
