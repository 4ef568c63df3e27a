import { parseArgs } from 'node:util';
import { startApp } from './app.ts';
import { exitOnStartFailure, loadConfigOrExit, missingBrokerPassword, stopOnSignals } from './cli/process.ts';

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
  const config = loadConfigOrExit(values.config!, 'Canh Xã worker');
  if (config.service.ingest.source !== 'external') {
    process.stderr.write(
      `Canh Xã worker cannot start: ${config.paths.serviceFile}: ingest.source — found "${config.service.ingest.source}". ` +
        'Fix: set ingest.source: external and ingest.external.url to the broker; with the embedded broker run `npm start`.\n',
    );
    process.exit(1);
  }
  const noPassword = missingBrokerPassword(config);
  if (noPassword) {
    process.stderr.write(`Canh Xã worker cannot start: ${noPassword}\n`);
    process.exit(1);
  }
  const app = await startApp({
    config: {
      ...config,
      service: { ...config.service, simulator: { ...config.service.simulator, enabled: false } },
    },
    api: values.api!,
  });
  stopOnSignals(app);
}

exitOnStartFailure(main);
