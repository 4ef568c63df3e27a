import { type Logger, pino } from 'pino';

/**
 * The gateway's own root logger: it may run on a box at a hamlet without the service, so it does
 * not borrow the service's. Secrets it holds (its MQTT password, SNMP communities and v3 keys)
 * are redacted by path, so a careless `log.info({ target })` cannot leak one.
 */
const REDACT_PATHS = [
  'password',
  '*.password',
  'community',
  '*.community',
  '*.*.community',
  'authKey',
  '*.authKey',
  '*.*.authKey',
  'privKey',
  '*.privKey',
  '*.*.privKey',
];

export function createGatewayLogger(level = process.env.CANHXA_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { svc: 'canhxa-gateway' },
  });
}

export type { Logger };
