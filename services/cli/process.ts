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
