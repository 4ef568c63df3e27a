import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../config/load.ts';
import { startApp } from './app.ts';
import { rootLogger } from './shared/logger.ts';

/**
 * `npm run worker -- --config FILE [--api]`: one ingest worker on an external MQTT v5 broker
 * (`ingest.source: external`). Start several on one data folder; they share the communes through
 * leases and take over each other's communes when one dies. No embedded broker, no simulator;
 * the HTTP API only with --api (one worker, or `npm start`, serves it).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'config/canhxa.yaml' },
      api: { type: 'boolean', default: false },
    },
  });
  let config: Config;
  try {
    config = loadConfig(values.config!);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Canh Xã worker cannot start: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (config.service.ingest.source !== 'external') {
    process.stderr.write(
      `Canh Xã worker cannot start: ${config.paths.serviceFile}: ingest.source — found "${config.service.ingest.source}". ` +
        'Fix: set ingest.source: external and ingest.external.url to the broker; with the embedded broker run `npm start`.\n',
    );
    process.exit(1);
  }
  const app = await startApp({
    config: {
      ...config,
      service: { ...config.service, simulator: { ...config.service.simulator, enabled: false } },
    },
    api: values.api!,
  });
  const shutdown = async (signal: string) => {
    rootLogger.info({ signal }, 'stopping');
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  rootLogger.error({ err }, 'failed to start');
  process.exit(1);
});
