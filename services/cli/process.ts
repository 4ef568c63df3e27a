import { type Config, ConfigError, loadConfig } from '../../config/load.ts';
import type { RunningApp } from '../app.ts';
import { rootLogger } from '../shared/logger.ts';

/** Loads the config or prints every problem and exits 1: never run half-configured. */
export function loadConfigOrExit(file: string, what: string): Config {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${what} cannot start: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * An ingest worker with a broker user but no password would be refused by the broker, retrying for
 * ever in silence: say so at start instead. docker-compose.yml passes the password as
 * `${CANHXA_INGEST_EXTERNAL_PASSWORD:-}` (empty when unset, so the default `up` needs nothing), and
 * this is where its absence is refused. Null when nothing is missing.
 */
export function missingBrokerPassword(config: Config): string | null {
  const ext = config.service.ingest.external;
  if (config.service.ingest.source !== 'external' || !ext?.username || ext.password) return null;
  return (
    `${config.paths.serviceFile}: ingest.external.password — missing for broker user "${ext.username}". ` +
    'Fix: set CANHXA_INGEST_EXTERNAL_PASSWORD (for docker compose: in the environment or an .env file) ' +
    'to the password `npm run mosquitto-config` wrote for that user, or set ingest.external.password.'
  );
}

/** Stops the app cleanly on SIGINT/SIGTERM (flushing the spool to the store), then exits 0. */
export function stopOnSignals(app: Pick<RunningApp, 'stop'>): void {
  const shutdown = async (signal: string) => {
    rootLogger.info({ signal }, 'stopping');
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

export function exitOnStartFailure(main: () => Promise<void>): void {
  main().catch((err) => {
    rootLogger.error({ err }, 'failed to start');
    process.exit(1);
  });
}
