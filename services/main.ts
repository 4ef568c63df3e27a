import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import { startApp } from './app.ts';
import { rootLogger } from './shared/logger.ts';

/**
 * `npm start`: loads config/canhxa.yaml (or --config FILE), refuses to start on any config problem,
 * then runs broker, ingest, store, availability, API and dashboard in this one process.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', default: 'config/canhxa.yaml' } } });
  let config;
  try {
    config = loadConfig(values.config!);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Canh Xã cannot start: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = await startApp({ config });
  const loginsFile = join(config.paths.dataDir, 'initial-passwords.txt');
  const logins = existsSync(loginsFile)
    ? readFileSync(loginsFile, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => `    ${l.split('\t').join('  ')}`)
    : [];
  process.stdout.write(
    [
      '',
      '  Canh Xã — giám sát hạ tầng cấp xã / commune infrastructure monitoring',
      `  Bảng điều khiển / Dashboard:  ${app.apiUrl}/`,
      `  MQTT broker (3.1.1):          ${app.mqttUrl}`,
      `  Thiết bị / Devices:           ${app.directory.byId.size}${app.simulator ? ' (simulated)' : ''}`,
      ...(logins.length
        ? [`  Đăng nhập / Logins (user  role  password), from ${relative(process.cwd(), loginsFile)}:`, ...logins]
        : []),
      '',
    ].join('\n'),
  );
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
