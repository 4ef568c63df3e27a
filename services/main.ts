import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startApp } from './app.ts';
import { exitOnStartFailure, loadConfigOrExit, stopOnSignals } from './cli/process.ts';

/**
 * `npm start`: loads config/canhxa.yaml (or --config FILE), refuses to start on any config problem,
 * then runs broker, ingest, store, availability, API and dashboard in this one process.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', default: 'config/canhxa.yaml' } } });
  const config = loadConfigOrExit(values.config!, 'Canh Xã');
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
        ? [
            `  Đăng nhập / Logins (user  role  password), from ${relative(process.cwd(), loginsFile)}:`,
            ...logins,
          ]
        : []),
      '',
    ].join('\n'),
  );
  stopOnSignals(app);
}

exitOnStartFailure(main);
