import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDashboard } from './api/dashboard-build.ts';
import { startApp } from './app.ts';
import { exitOnStartFailure, loadConfigOrExit, missingBrokerPassword, stopOnSignals } from './cli/process.ts';
import { rootLogger } from './shared/logger.ts';

/**
 * `npm start`: loads config/canhxa.yaml (or --config FILE), refuses to start on any config problem,
 * then runs broker, ingest, store, availability, API and dashboard in this one process.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', default: 'config/canhxa.yaml' } } });
  const config = loadConfigOrExit(values.config!, 'Canh Xã');
  const noPassword = missingBrokerPassword(config);
  if (noPassword) {
    process.stderr.write(`Canh Xã cannot start: ${noPassword}\n`);
    process.exit(1);
  }
  // A fresh clone has no dashboard/dist (`npm ci` does not build it): build it beside the start-up,
  // in its own process, and print the URL only once there is something to serve there.
  const [app] = await Promise.all([
    startApp({ config }),
    ensureDashboard(rootLogger.child({ mod: 'dashboard' })),
  ]);
  const loginsFile = join(config.paths.dataDir, 'initial-passwords.txt');
  process.stdout.write(
    [
      '',
      '  Canh Xã — giám sát hạ tầng cấp xã / commune infrastructure monitoring',
      `  Bảng điều khiển / Dashboard:  ${app.apiUrl}/`,
      `  MQTT broker (3.1.1):          ${app.mqttUrl}`,
      `  Thiết bị / Devices:           ${app.directory.byId.size}${app.simulator ? ' (simulated)' : ''}`,
      ...loginLines(app.generatedUserPasswords, (u) => app.users.get(u)?.role ?? '', loginsFile),
      '',
    ].join('\n'),
  );
  stopOnSignals(app);
}

/**
 * Passwords go to a person, never to a log: stdout of a service ends up in journald or `docker
 * logs`, kept and readable by others. So they are printed only when stdout is a terminal, and only
 * at the start that generated them; otherwise the file's path and how to read it.
 */
function loginLines(
  generated: ReadonlyMap<string, string>,
  roleOf: (username: string) => string,
  loginsFile: string,
): string[] {
  const shown = relative(process.cwd(), loginsFile) || loginsFile;
  if (generated.size > 0 && process.stdout.isTTY)
    return [
      `  Đăng nhập / Logins (user  role  password), also in ${shown} (mode 0600):`,
      ...[...generated].map(([u, pw]) => `    ${u}  ${roleOf(u)}  ${pw}`),
      '  Đổi mật khẩu rồi xoá tệp đó / Change the passwords, then delete that file.',
    ];
  if (!existsSync(loginsFile)) return [];
  return [
    `  Mật khẩu ban đầu / Initial passwords:  ${shown} (mode 0600)`,
    `  Đọc bằng / Read them with:             cat ${shown}   (then change them and delete the file)`,
  ];
}

exitOnStartFailure(main);
