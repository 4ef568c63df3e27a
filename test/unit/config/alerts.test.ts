import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { communeDoc } from '../../fixtures/mini-commune.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function write(
  alerts: unknown,
  communeAlerts: unknown = undefined,
  communeExtra: Record<string, unknown> = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'cx-alerts-config-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'communes'));
  const doc = communeDoc({
    devices: [{ id: 'net-1', type: 'uplink' }],
    users: [
      { username: 'kythuat.thu', name: 'Kỹ thuật', role: 'technician', contact: { telegramChatId: '111' } },
    ],
    extra: { ...(communeAlerts ? { alerts: communeAlerts } : {}), ...communeExtra },
  });
  writeFileSync(join(dir, 'communes', 'xa-thu.yaml'), stringify(doc));
  writeFileSync(join(dir, 'canhxa.yaml'), stringify({ dataDir: dir, communesDir: './communes', alerts }));
  return join(dir, 'canhxa.yaml');
}

function problems(file: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(file, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('alerts configuration', () => {
  it('refuses an unknown notifier kind, bad settings and a missing secret, naming file, path and fix', () => {
    const file = write({
      notifiers: [
        { name: 'tg', kind: 'telegram', config: { tokenRef: 'telegram-bot' } },
        { name: 'sms', kind: 'carrier-pigeon' },
        { name: 'mail', kind: 'email', config: { port: 25 } },
      ],
    });
    const p = problems(file);
    expect(p).toEqual([
      expect.stringMatching(
        /canhxa\.yaml: alerts\.notifiers\[0\]\.config — secret "telegram-bot" is not set .*Fix: add "telegram-bot"/,
      ),
      expect.stringMatching(
        /alerts\.notifiers\[1\]\.kind — "carrier-pigeon" is not a notifier kind\. Fix: use one of telegram, email, webhook, zalo\./,
      ),
      expect.stringMatching(/alerts\.notifiers\[2\]\.config\.host — .*Fix: /),
      expect.stringMatching(/alerts\.notifiers\[2\]\.config\.from — .*Fix: /),
    ]);
  });

  it('refuses a Zalo notifier with neither a token nor oauth, a bad app id, and oauth secrets not set', () => {
    const oauth = { appId: '1234567890', secretKeyRef: 'zalo-app-secret', refreshTokenRef: 'zalo-refresh' };
    const file = write({
      notifiers: [
        { name: 'z1', kind: 'zalo', config: { templateId: '1' } },
        { name: 'z2', kind: 'zalo', config: { templateId: '1', oauth: { ...oauth, appId: 'abc' } } },
        { name: 'z3', kind: 'zalo', config: { templateId: '1', oauth } },
      ],
    });
    expect(problems(file)).toEqual([
      expect.stringMatching(/alerts\.notifiers\[0\]\.config\.oauth — give oauth .* or tokenRef .*Fix: /),
      expect.stringMatching(/alerts\.notifiers\[1\]\.config\.oauth\.appId — the app id .*Fix: /),
      expect.stringMatching(/alerts\.notifiers\[2\]\.config — secret "zalo-app-secret" is not set/),
      expect.stringMatching(/alerts\.notifiers\[2\]\.config — secret "zalo-refresh" is not set/),
    ]);
    expect(
      problems(file, { CANHXA_SECRET_ZALO_APP_SECRET: 'k', CANHXA_SECRET_ZALO_REFRESH: 'r' }),
    ).toHaveLength(2);
  });

  it('takes the bot token from the environment or notify-secrets.json (0600), never from the config', () => {
    const file = write({
      notifiers: [{ name: 'tg', kind: 'telegram', config: { tokenRef: 'telegram-bot' } }],
    });
    expect(loadConfig(file, { CANHXA_SECRET_TELEGRAM_BOT: '1:abc' }).notifierSecrets).toEqual({
      'telegram-bot': '1:abc',
    });
    const secrets = join(file, '..', 'notify-secrets.json');
    writeFileSync(secrets, JSON.stringify({ 'telegram-bot': '2:def' }));
    chmodSync(secrets, 0o644);
    expect(problems(file)[0]).toMatch(/readable by others/);
    chmodSync(secrets, 0o600);
    expect(loadConfig(file, {}).notifierSecrets).toEqual({ 'telegram-bot': '2:def' });
  });

  it('refuses rules and routing that name unknown device types, hamlets or users', () => {
    const file = write(
      {},
      {
        rules: [{ id: 'x', kind: 'down-for', minutes: 5, deviceTypes: ['toaster'], hamlets: ['ap-9'] }],
        notify: [{ users: ['nobody'] }],
        cameraMaintainers: ['ghost'],
      },
    );
    const p = problems(file);
    expect(p).toEqual([
      expect.stringMatching(
        /xa-thu\.yaml.*alerts\.rules\[0\]\.deviceTypes\[0\] — "toaster" is not a device type\. Fix:/,
      ),
      expect.stringMatching(
        /alerts\.rules\[0\]\.hamlets\[0\] — "ap-9" is not a hamlet of this commune\. Fix:/,
      ),
      expect.stringMatching(
        /alerts\.notify\[0\]\.users\[0\] — "nobody" is not a user of this commune\. Fix:/,
      ),
      expect.stringMatching(/alerts\.cameraMaintainers\[0\] — "ghost" is not a user of this commune\. Fix:/),
    ]);
  });

  it('refuses a camera maintainer who is not a technician, as users[].cameraMaintainer does', () => {
    const file = write(
      {},
      { cameraMaintainers: ['lanhdao.thu'] },
      {
        users: [
          { username: 'kythuat.thu', name: 'Kỹ thuật', role: 'technician' },
          { username: 'lanhdao.thu', name: 'Lãnh đạo', role: 'leader' },
        ],
      },
    );
    expect(problems(file)).toEqual([
      expect.stringMatching(
        /alerts\.cameraMaintainers\[0\] — "lanhdao\.thu" is a leader; only a technician is named a camera maintainer\. Fix:/,
      ),
    ]);
  });

  it('refuses a report-overdue rule without report schedules, naming an unknown schedule, or with a bad grace', () => {
    const rule = { id: 'bao-cao-tre', kind: 'report-overdue' };
    expect(problems(write({}, { rules: [rule] }))).toEqual([
      expect.stringMatching(
        /xa-thu\.yaml: alerts\.rules\[0\] — a report-overdue rule, but the commune schedules no report\. Fix: add kpi\.reports/,
      ),
    ]);
    const kpi = { kpi: { reports: [{ id: 'bc-thang', period: 'month', dueDay: 25 }] } };
    expect(problems(write({}, { rules: [{ ...rule, schedules: ['bc-quy'] }] }, kpi))).toEqual([
      expect.stringMatching(
        /alerts\.rules\[0\]\.schedules\[0\] — "bc-quy" is not a report schedule of this commune\. Fix: use an id of kpi\.reports: bc-thang/,
      ),
    ]);
    const bad = problems(write({}, { rules: [{ ...rule, minutes: -5 }] }, kpi));
    expect(bad).toEqual([expect.stringMatching(/xa-thu\.yaml.*alerts\.rules\[0\]\.minutes/)]);
    expect(problems(write({}, { rules: [rule] }, kpi))).toEqual([]);
  });
});
