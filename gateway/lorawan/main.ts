/**
 * `npm run lorawan-bridge -- --config FILE`: relays ChirpStack's MQTT integration events from
 * ChirpStack's own broker into ours as the network server account (bridge.ts), through the disk
 * buffer. Refuses to start on any config problem (each printed with file, path and fix).
 */
import { parseArgs } from 'node:util';
import { GatewayConfigError } from '../runtime/config.ts';
import { createGatewayLogger } from '../runtime/logger.ts';
import { Publisher } from '../runtime/publisher.ts';
import { ChirpStackBridge } from './bridge.ts';
import { type BridgeFileConfig, loadBridgeConfig } from './cli-config.ts';

const log = createGatewayLogger().child({ mod: 'gateway.lorawan-bridge' });

const { values } = parseArgs({ options: { config: { type: 'string' } }, allowPositionals: false });
if (!values.config) {
  process.stderr.write(
    'npm run lorawan-bridge: no config file. Fix: npm run lorawan-bridge -- --config lorawan-bridge.yaml\n',
  );
  process.exit(2);
}
let config: BridgeFileConfig;
try {
  config = loadBridgeConfig(values.config);
} catch (err) {
  if (!(err instanceof GatewayConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
const publisher = new Publisher({
  url: config.broker.url,
  gatewayId: config.gatewayId,
  password: config.broker.password,
  tls: config.broker.tls,
  bufferFile: config.bufferFile,
  bufferMaxRows: config.bufferMaxRows,
  log,
});
publisher.start();
const bridge = new ChirpStackBridge(
  config.chirpstack,
  publisher,
  { communeId: config.communeId, deviceId: config.gatewayId },
  log,
);
bridge.start().catch((err) => {
  // The subscription is made once, after the first connection: without it nothing would be relayed,
  // so the process ends and its supervisor (systemd, Docker's restart policy) starts it again.
  log.error({ err }, 'ChirpStack broker not reached');
  void publisher.stop().finally(() => process.exit(1));
});
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    Promise.all([bridge.stop(), publisher.stop()]).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'lorawan bridge stop failed');
        process.exit(1);
      },
    );
  });
