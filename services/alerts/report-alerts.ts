/**
 * Alerts about scheduled reports (rule kind report-overdue): one per schedule and period, keyed
 * `<rule>:report:<schedule>:<period start>` so a restart never opens it twice. It opens when the
 * rule finds the report missing, turns critical (told again, as an escalation) once the due date
 * has come, and resolves, telling whoever was told, as soon as the archive holds the report of its
 * period (or its rule or schedule is gone). The subject is no device: the alert's `deviceId` is
 * `report:<schedule>`, which the device sweep passes over (engine.ts).
 */
import { SEVERITIES } from '../../config/schema/alert-rule-base.ts';
import type { AlertsConfig } from '../../config/schema/alerts.ts';
import type { CommuneFile, Role } from '../../config/schema/commune.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { NotifyDispatcher } from '../notify/dispatcher.ts';
import { type AlertEvent, messageText, vnTime } from '../notify/message.ts';
import type { Message } from '../notify/notifier.ts';
import type { ReportArchive } from '../reports/archive.ts';
import { type Locale, reasonText, t } from '../shared/i18n/index.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import type { AlertRow, AlertStore } from './alert-store.ts';
import { ruleKinds } from './rule-kinds/registry.ts';
import type { OverdueReport } from './rule-kinds/rule-kind.ts';
import { quietUntil } from './windows/occurrences.ts';

/** The subject of a report alert, in the alerts table's device column. */
export const REPORT_SUBJECT = 'report:';

export interface ReportAlertsDeps {
  readonly db: Db;
  readonly alerts: AlertStore;
  readonly directory: DeviceDirectory;
  readonly dispatcher: NotifyDispatcher;
  readonly archive: Pick<ReportArchive, 'list'>;
  readonly config: AlertsConfig;
  readonly log: Logger;
}

/**
 * Nothing opens in the first minutes after a start: the scheduler catches up the report missed
 * while the service was down 60 s after its start (services/reports/schedule.ts), and making it
 * takes seconds to minutes; an alert opened meanwhile would be resolved a moment later.
 */
export const START_GRACE_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 60_000;

/** The kinds judged here (report-overdue). */
const REPORT_KINDS = [...ruleKinds.values()].filter((k) => k.overdue).map((k) => k.kind);

export class ReportAlerts {
  private readonly firstData;
  private readonly openIds;
  private startedTs: number | undefined;
  private lastSweepTs: number | undefined;

  constructor(private readonly deps: ReportAlertsDeps) {
    this.firstData = deps.db.prepare('SELECT MIN(start_ts) AS ts FROM state_intervals WHERE commune_id = ?');
    // Only the report alerts' ids: a storm's thousand open device alerts are not read twice a tick.
    this.openIds = deps.db
      .prepare(
        `SELECT id FROM alerts WHERE status != 'resolved' AND kind IN (${REPORT_KINDS.map(() => '?').join(', ')})`,
      )
      .pluck();
  }

  /** Whether an alert is one of these (the device sweep leaves it alone). */
  static owns(a: Pick<AlertRow, 'kind'>): boolean {
    return ruleKinds.get(a.kind)?.overdue !== undefined;
  }

  /**
   * Call inside the engine's tick transaction. With no report alert open the archive is read once
   * a minute, not at every tick (reports are daily at the most); an open one is resolved at the
   * first tick after its report is archived.
   */
  sweep(now: number): void {
    this.startedTs ??= now;
    const opening = now - this.startedTs >= START_GRACE_MS;
    const openIds = this.openIds.all(...REPORT_KINDS) as number[];
    if (openIds.length === 0 && this.lastSweepTs !== undefined && now - this.lastSweepTs < SWEEP_EVERY_MS)
      return;
    this.lastSweepTs = now;
    const open = openIds.map((id) => this.deps.alerts.get(id)!);
    for (const c of this.deps.directory.communes.values()) {
      const rules = c.alerts.rules.filter((r) => ruleKinds.get(r.kind)?.overdue);
      const mine = open.filter((a) => a.communeId === c.commune.id);
      if (rules.length === 0 && mine.length === 0) continue;
      const cards = this.deps.archive.list([c.commune.id]);
      const archived = (scheduleId: string, fromTs: number, toTs: number) =>
        cards.some((r) => r.scheduleId === scheduleId && r.fromTs === fromTs && r.toTs === toTs);
      const schedules = c.kpi?.reports ?? [];
      for (const a of mine) {
        const gone =
          !rules.some((r) => r.id === a.ruleId) || !schedules.some((s) => s.id === a.params.schedule);
        if (gone || archived(String(a.params.schedule), Number(a.params.fromTs), Number(a.params.toTs)))
          this.close(a, now);
      }
      if (!opening) continue;
      const ctx = {
        now,
        schedules,
        archived,
        firstDataTs: (this.firstData.get(c.commune.id) as { ts: number | null }).ts,
      };
      for (const rule of rules)
        for (const found of ruleKinds.get(rule.kind)!.overdue!(rule, ctx)) this.judge(c, rule, found, now);
    }
  }

  private judge(c: CommuneFile, rule: { id: string; kind: string }, f: OverdueReport, now: number): void {
    const { alerts } = this.deps;
    const key = `${rule.id}:${REPORT_SUBJECT}${f.scheduleId}:${f.fromTs}`;
    const row = this.deps.db.prepare('SELECT id FROM alerts WHERE key = ?').get(key) as
      | { id: number }
      | undefined;
    if (!row) {
      const id = alerts.insert({
        key,
        communeId: c.commune.id,
        ruleId: rule.id,
        kind: rule.kind,
        severity: f.severity,
        deviceId: `${REPORT_SUBJECT}${f.scheduleId}`,
        state: 'missing',
        reason: f.reason,
        params: f.params,
        sinceTs: f.runTs,
        status: 'firing',
        behind: [],
        now,
      });
      this.tell(c, alerts.get(id)!, 'fire', now);
      return;
    }
    const a = alerts.get(row.id)!;
    // The due date came: the open alert turns critical and is told again; a resolved one stays so.
    if (
      a.status === 'resolved' ||
      (SEVERITIES as readonly string[]).indexOf(f.severity) >=
        (SEVERITIES as readonly string[]).indexOf(a.severity)
    )
      return;
    this.deps.db
      .prepare('UPDATE alerts SET severity = ?, reason = ?, params = ?, notified_ts = ? WHERE id = ?')
      .run(f.severity, f.reason, JSON.stringify(f.params), now, a.id);
    this.tell(c, alerts.get(a.id)!, 'escalate', now);
  }

  /** Resolves a report alert (archived, or by a person's hand), telling whoever was told. */
  close(a: AlertRow, now: number, by: { resolvedBy?: string; resolveNote?: string } = {}): void {
    this.deps.alerts.update(a.id, { status: 'resolved', resolvedTs: now, ...by });
    const c = this.deps.directory.communes.get(a.communeId);
    if (c) this.tell(c, this.deps.alerts.get(a.id)!, 'resolve', now);
  }

  /**
   * Queues the event for the rule's roles (a recovery: for whoever was told), in each one's
   * language, through every notifier that reaches people. Webhooks (the province's feed of device
   * alerts) are not sent report alerts.
   */
  private tell(c: CommuneFile, a: AlertRow, event: AlertEvent, now: number): void {
    const rule = c.alerts.rules.find((r) => r.id === a.ruleId);
    const roles: readonly Role[] = (rule && ruleKinds.get(rule.kind)?.roles?.(rule)) ?? ['leader', 'admin'];
    const byName = new Map(c.users.map((u) => [u.username, u]));
    const told =
      event === 'resolve'
        ? this.deps.dispatcher.outbox.told(a.id).flatMap((x) => (x.username ? [x.username] : []))
        : [];
    const users =
      told.length > 0
        ? [...new Set(told)].flatMap((n) => byName.get(n) ?? [])
        : c.users.filter((u) => roles.includes(u.role));
    let queued = 0;
    for (const { entry, kind, instance } of this.deps.dispatcher.entries()) {
      if (kind.contactField === null || (entry.communes && !entry.communes.includes(a.communeId))) continue;
      if (instance.accepts && !instance.accepts({ severity: a.severity, event, deviceType: 'report' }))
        continue;
      for (const u of users) {
        const address = u.contact?.[kind.contactField];
        if (!address) continue;
        this.deps.dispatcher.outbox.enqueue({
          notifier: entry.name,
          alertId: a.id,
          event,
          username: u.username,
          address,
          message: reportMessage(a, event, u.locale, this.deps.config.publicBaseUrl, kind.maxLength),
          now,
          heldUntilTs: quietUntil(
            u.quietHours ?? c.alerts.quietHours,
            { severity: a.severity, deviceType: 'report' },
            now,
          ),
        });
        queued++;
      }
    }
    this.deps.log.info({ alertId: a.id, rule: a.ruleId, event, queued }, 'report alert event');
  }
}

/** The text of a report alert: which report, its period and due date, and the archive's link. */
export function reportMessage(
  a: AlertRow,
  event: AlertEvent,
  locale: Locale,
  publicBaseUrl: string | undefined,
  maxLength: number,
): Message {
  const p = a.params;
  const subject = t(locale, 'alert.report.subject', {
    event: t(locale, `alert.event.${event}`),
    severity: t(locale, `alert.severity.${a.severity}`),
    schedule: String(p.schedule),
  });
  const lines = [
    subject,
    t(locale, 'alert.report.line.report', { schedule: String(p.schedule), period: String(p.period) }),
    t(locale, 'alert.report.line.due', { dueDate: String(p.dueDate) }),
    t(locale, 'alert.report.line.since', { since: vnTime(a.sinceTs) }),
    t(locale, 'alert.line.cause', { cause: reasonText(locale, a.reason, p) }),
  ];
  if (event === 'resolve' && a.resolvedTs !== null)
    lines.push(t(locale, 'alert.report.line.archived', { at: vnTime(a.resolvedTs) }));
  // The KPI page holds the report archive (dashboard/src/pages/kpis.ts).
  const url = publicBaseUrl ? `${publicBaseUrl.replace(/\/$/, '')}/#/kpis` : undefined;
  if (url) lines.push(t(locale, 'alert.report.line.archive', { url }));
  const text = messageText(lines, maxLength);
  return {
    alertId: a.id,
    event,
    subject,
    text,
    ...(url ? { ackUrl: url } : {}),
    // Acknowledged on the dashboard: a provider's button acknowledges device alerts only.
    ackable: false,
    data: { id: a.id, kind: a.kind, ruleId: a.ruleId, severity: a.severity, event, params: p },
  };
}
