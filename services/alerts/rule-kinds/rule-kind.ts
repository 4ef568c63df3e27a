import type { z } from 'zod';
import type { Role } from '../../../config/schema/commune.ts';
import type { ReportScheduleConfig } from '../../../config/schema/kpi.ts';
import type { DeviceState } from '../../availability/states.ts';
import type { Configurable, Registered } from '../../shared/registry.ts';
import type { Reading } from '../../store/store.ts';

/** The device an alert is about, as rules and routing see it. */
export interface DeviceFacts {
  readonly id: string;
  readonly type: string;
  readonly hamletId: string;
  readonly siteId: string;
  /** Who installed or maintains it (the commune file's `contractor`), for routing. */
  readonly contractor?: string | undefined;
}

/** A device's durable status (the latest state interval). */
export interface StatusFacts {
  readonly state: DeviceState;
  readonly reason: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly sinceTs: number;
  readonly lastHeardTs: number | null;
}

/** A closed state interval, seen on the cursor (an outage that began and ended unseen). */
export interface ClosedInterval {
  readonly state: DeviceState;
  readonly reason: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly startTs: number;
  readonly endTs: number;
}

/**
 * A readings rule's finding for one device: the condition holds now, since `sinceTs` (the first
 * reading of the run that is still out of bounds), for the reason and params the alert carries.
 */
export interface MetricEpisode {
  readonly deviceId: string;
  readonly sinceTs: number;
  readonly reason: string;
  readonly params: Readonly<Record<string, string | number>>;
}

/** A farm plot as a plot rule sees it: bounds in use (the economics office's, else the file's). */
export interface PlotFacts {
  readonly communeId: string;
  readonly siteId: string;
  readonly name: string;
  readonly dryBelowPct: number | null;
  readonly wetAbovePct: number | null;
  /** The plot's soil sensors, in inventory order; the first one carries the plot's alert. */
  readonly sensorIds: readonly string[];
}

/** What a readings rule may read (async: the store may be InfluxDB). */
export interface ReadingsContext {
  readonly communeId: string;
  readonly now: number;
  /** The commune's devices the rule's scope covers (maintenance and upstream cut-offs are the engine's). */
  readonly devices: readonly DeviceFacts[];
  /** A device's readings of one metric in [fromTs, toTs), oldest first. */
  readings(deviceId: string, metric: string, fromTs: number, toTs: number): Promise<readonly Reading[]>;
  /** The commune's farm plots, read at each call so edited bounds count at once. */
  plots(): readonly PlotFacts[];
}

/** What the rule reads: the commune's schedules, the archive, and since when it has evidence. */
export interface ReportsContext {
  readonly now: number;
  readonly schedules: readonly ReportScheduleConfig[];
  /** Whether the archive holds a report of this schedule for exactly this period. */
  archived(scheduleId: string, fromTs: number, toTs: number): boolean;
  /** The start of the commune's first state interval (its commissioning); null while it has none. */
  readonly firstDataTs: number | null;
}

/** One missing report: the alert's subject, severity and what its message says. */
export interface OverdueReport {
  readonly scheduleId: string;
  readonly fromTs: number;
  readonly toTs: number;
  readonly runTs: number;
  /** ISO date (Vietnam). */
  readonly dueDate: string;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly reason: 'report-missing' | 'report-past-due';
  readonly params: Readonly<Record<string, string | number>>;
}

interface RuleCore {
  readonly kind: string;
  readonly id: string;
  readonly minutes: number;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly deviceTypes?: readonly string[] | undefined;
  readonly hamlets?: readonly string[] | undefined;
  readonly sites?: readonly string[] | undefined;
}

/**
 * One kind of alert rule (issue #14 item 1). A state kind judges the device's durable status
 * (`since`), which the engine reads on every tick; a readings kind (`evaluate`) looks at the
 * store, asynchronously, and the engine hands its findings to `since` as `episode`. Both are
 * recomputed from durable evidence (intervals, readings) after a restart, never kept in memory only.
 */
export interface RuleKind<R extends RuleCore = RuleCore> extends Registered, Configurable<R> {
  readonly configSchema: z.ZodType<R>;
  /**
   * The start of the episode in which the condition holds now, or null. Not called for a device in
   * maintenance or behind a failing upstream. `episode`: a readings kind's finding for the device.
   */
  since(rule: R, s: StatusFacts, episode: MetricEpisode | undefined): number | null;
  /** Whether an open alert of this rule still holds (`reason`: the one it opened with). */
  stillHolds(
    rule: R | undefined,
    reason: string,
    sinceTs: number,
    s: StatusFacts,
    episode: MetricEpisode | undefined,
  ): boolean;
  /** A closed interval that by itself satisfied the rule (seen after a crash); false when not about states. */
  closedEpisode(rule: R, i: ClosedInterval): boolean;
  /** Readings kinds: the devices whose condition holds now, keyed by device id. */
  evaluate?(rule: R, ctx: ReadingsContext): Promise<ReadonlyMap<string, MetricEpisode>>;
  /**
   * Report kinds: the commune's scheduled reports missing now (services/alerts/report-alerts.ts
   * keeps one alert per schedule and period). Such a kind's `since` is always null.
   */
  overdue?(rule: R, ctx: ReportsContext): readonly OverdueReport[];
  /** Who is told instead of the commune's chain (plot alerts go to the economics office). */
  roles?(rule: R): readonly Role[] | undefined;
}
