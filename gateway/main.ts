/**
 * `npm run gateway -- --config FILE`: the probe runtime as its own process, for a box at a hamlet.
 * Refuses to start on any config problem (each printed with file, path and fix).
 */
import { parseArgs } from 'node:util';
import { GatewayConfigError, loadGatewayConfig } from './runtime/config.ts';
import { GatewayRuntime } from './runtime/gateway.ts';
import { createGatewayLogger } from './runtime/logger.ts';

const rootLogger = createGatewayLogger();

const { values } = parseArgs({ options: { config: { type: 'string' } }, allowPositionals: false });
if (!values.config) {
  process.stderr.write('npm run gateway: no config file. Fix: npm run gateway -- --config gateway.yaml\n');
  process.exit(2);
}
let runtime: GatewayRuntime;
try {
  runtime = new GatewayRuntime(loadGatewayConfig(values.config), { log: rootLogger });
} catch (err) {
  if (!(err instanceof GatewayConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
runtime.start();
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    runtime.stop().then(
      () => process.exit(0),
      (err) => {
        rootLogger.error({ err }, 'gateway stop failed');
        process.exit(1);
      },
    );
  });
