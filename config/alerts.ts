import { deviceTypes } from '../services/device-types/registry.ts';
import { notifiers } from '../services/notify/registry.ts';
import { ProbeSecrets } from './probe-targets.ts';
import { quietWindowProblems } from './quiet-windows.ts';
import type { CommuneFile } from './schema/commune.ts';
import type { ServiceConfig } from './schema/service.ts';

/** Where the notifiers' secrets (bot token, SMTP password, webhook key) live, mode 0600. */
export const NOTIFY_SECRETS_FILE = 'notify-secrets.json';

/**
 * Load-time checks of the alerts sections that need more than their schema: each notifier's
 * settings against its kind's configSchema, its secrets present, and every user, hamlet, site and
 * device type a commune's rules and routing name. Returns the problems and the resolved secrets.
 */
export function alertsProblems(
  serviceFile: string,
  service: ServiceConfig,
  communes: ReadonlyArray<{ file: string; commune: CommuneFile }>,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): { problems: string[]; secrets: Record<string, string> } {
  const problems: string[] = [];
  const secrets: Record<string, string> = {};
  const store = new ProbeSecrets(dataDir, env, NOTIFY_SECRETS_FILE);
  const names = new Set<string>();
  service.alerts.notifiers.forEach((n, i) => {
    const at = `${serviceFile}: alerts.notifiers[${i}]`;
    if (names.has(n.name))
      problems.push(`${at}.name — "${n.name}" is used twice. Fix: give each notifier its own name.`);
    names.add(n.name);
    const kind = notifiers.get(n.kind);
    if (!kind) {
      problems.push(
        `${at}.kind — "${n.kind}" is not a notifier kind. Fix: use one of ${[...notifiers.keys()].join(', ')}.`,
      );
      return;
    }
    const parsed = kind.configSchema.safeParse(n.config);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(
          `${at}.config.${issue.path.join('.')} — ${issue.message}. Fix: see the ${n.kind} example in config/canhxa.example.yaml.`,
        );
      return;
    }
    for (const ref of kind.secretRefs(parsed.data)) {
      const got = store.get(ref);
      if ('value' in got) secrets[ref] = got.value;
      else problems.push(`${at}.config — ${got.problem}.`);
    }
  });
  for (const { file, commune } of communes) problems.push(...communeAlertProblems(file, commune));
  return { problems, secrets };
}

function communeAlertProblems(file: string, c: CommuneFile): string[] {
  const out: string[] = [];
  const users = new Set(c.users.map((u) => u.username));
  const hamlets = new Set(c.hamlets.map((h) => h.id));
  const sites = new Set(c.sites.map((s) => s.id));
  const contractors = new Set(c.devices.flatMap((d) => (d.contractor ? [d.contractor] : [])));
  const noSuchContractor = (path: string, name: string) =>
    out.push(
      `${file}: ${path} — "${name}" is no device's contractor in this commune. Fix: spell it as a device's contractor: (${[...contractors].join(', ') || 'none set'}).`,
    );
  const scope = (
    path: string,
    s: {
      kind?: string;
      deviceTypes?: string[];
      hamlets?: string[];
      sites?: string[];
      contractors?: string[];
    },
  ) => {
    s.contractors?.forEach((name, j) => {
      if (!contractors.has(name)) noSuchContractor(`${path}.contractors[${j}]`, name);
    });
    s.deviceTypes?.forEach((t, j) => {
      if (!deviceTypes.has(t))
        out.push(
          `${file}: ${path}.deviceTypes[${j}] — "${t}" is not a device type. Fix: use one of ${[...deviceTypes.keys()].join(', ')}.`,
        );
    });
    s.hamlets?.forEach((h, j) => {
      if (!hamlets.has(h))
        out.push(
          `${file}: ${path}.hamlets[${j}] — "${h}" is not a hamlet of this commune. Fix: use a hamlet id of hamlets:.`,
        );
    });
    s.sites?.forEach((h, j) => {
      if (!sites.has(h))
        out.push(
          `${file}: ${path}.sites[${j}] — "${h}" is not a site of this commune. Fix: use a site id of sites:.`,
        );
    });
  };
  const ids = new Set<string>();
  c.alerts.rules.forEach((r, i) => {
    if (ids.has(r.id))
      out.push(`${file}: alerts.rules[${i}].id — "${r.id}" is used twice. Fix: give each rule its own id.`);
    ids.add(r.id);
    scope(`alerts.rules[${i}]`, r);
    if (r.kind === 'report-overdue') out.push(...reportRuleProblems(file, c, r, i));
  });
  c.alerts.notify.forEach((s, i) => {
    scope(`alerts.notify[${i}]`, s);
    s.users?.forEach((u, j) => {
      if (!users.has(u))
        out.push(
          `${file}: alerts.notify[${i}].users[${j}] — "${u}" is not a user of this commune. Fix: use a username of users:.`,
        );
    });
  });
  c.users.forEach((u, i) => {
    if (u.contractor !== undefined && !contractors.has(u.contractor))
      noSuchContractor(`users[${i}].contractor`, u.contractor);
  });
  c.alerts.cameraMaintainers.forEach((u, j) => {
    const user = c.users.find((x) => x.username === u);
    if (!user)
      out.push(
        `${file}: alerts.cameraMaintainers[${j}] — "${u}" is not a user of this commune. Fix: use a username of users:.`,
      );
    // As users[].cameraMaintainer: a camera's outage names it, and only the police see cameras in full.
    else if (user.role !== 'technician')
      out.push(
        `${file}: alerts.cameraMaintainers[${j}] — "${u}" is a ${user.role}; only a technician is named a camera maintainer. Fix: list a technician (or mark one in users: with cameraMaintainer: true).`,
      );
  });
  out.push(...quietWindowProblems(file, c));
  return out;
}

/** A report-overdue rule names schedules of this commune's `kpi.reports`, and there is one to watch. */
function reportRuleProblems(
  file: string,
  c: CommuneFile,
  r: { schedules?: readonly string[] | undefined },
  i: number,
): string[] {
  const schedules = (c.kpi?.reports ?? []).map((s) => s.id);
  if (schedules.length === 0)
    return [
      `${file}: alerts.rules[${i}] — a report-overdue rule, but the commune schedules no report. Fix: add kpi.reports, or remove the rule.`,
    ];
  return (r.schedules ?? []).flatMap((id, j) =>
    schedules.includes(id)
      ? []
      : [
          `${file}: alerts.rules[${i}].schedules[${j}] — "${id}" is not a report schedule of this commune. Fix: use an id of kpi.reports: ${schedules.join(', ')}.`,
        ],
  );
}
