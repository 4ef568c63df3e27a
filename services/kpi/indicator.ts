import type { z } from 'zod';
import type { HamletConfig, SiteConfig } from '../../config/schema/commune.ts';
import type { ContractorConfig } from '../../config/schema/contractors.ts';
import type { Period } from '../read-model/read-model.ts';
import type { Configurable, Registered } from '../shared/registry.ts';
import type { DeviceLedger } from './ledger.ts';

/** Everything an indicator reads: the period and each counted device's ledger. Pure data. */
export interface KpiInput {
  readonly period: Period;
  /** The instant the figures were taken; time after it is not counted. */
  readonly nowTs: number;
  readonly hamlets: readonly HamletConfig[];
  readonly sites: readonly SiteConfig[];
  /** One per device of the commune, commissioned or not (an uncommissioned one has no segments). */
  readonly ledgers: readonly DeviceLedger[];
  /** The commune's contractors and their SLAs (`contractors:`); none when absent. */
  readonly contractors?: readonly ContractorConfig[];
  /**
   * Uplink times heard in the period per sensor (services/soil/uplinks.ts reads them), with the
   * interval each should send at. Absent when the caller did not read them: the indicators that
   * need them (farm-completeness) then give no figure rather than a wrong one.
   */
  readonly uplinks?: ReadonlyMap<string, SensorUplinks>;
}

export interface SensorUplinks {
  readonly intervalSec: number;
  /** Epoch ms of each uplink heard, any order. */
  readonly ts: readonly number[];
  /**
   * Uplinks counted per whole UTC hour [hour start, count], from the store's 1-hour rollups, for
   * hours `ts` does not cover (raw readings are pruned after `retention.rawDays`; rollups stay).
   */
  readonly hourly?: ReadonlyArray<readonly [number, number]>;
}

/** One line of an indicator's breakdown (a device, hamlet, site, type or contractor). */
export interface BreakdownRow {
  readonly key: string;
  readonly label: string;
  readonly value: number | null;
  /** The counts behind the value (ms, hamlets, outages…), named, so a figure can be explained. */
  readonly basis: Readonly<Record<string, number | string | null>>;
}

export interface IndicatorResult {
  /** In the indicator's unit; null when nothing could be judged in the period. */
  readonly value: number | null;
  readonly basis: Readonly<Record<string, number | string | null>>;
  readonly rows: readonly BreakdownRow[];
}

export type Unit = 'pct' | 'count' | 'minutes' | 'hours';

/**
 * A kind of KPI. `configSchema` checks a target's `params` at load; `compute` is pure over the
 * ledgers and must return the same figures for the same input (reports are verified by
 * recomputing). `rules` are i18n keys of the accounting rules printed next to the figure.
 */
export interface Indicator<P = unknown> extends Registered, Configurable<P> {
  readonly unit: Unit;
  /** Whether a larger value is better (uptime) or worse (MTTR): how a target is met. */
  readonly better: 'higher' | 'lower';
  readonly rules: readonly string[];
  compute(input: KpiInput, params: P): IndicatorResult;
  /**
   * The devices whose evidence a figure rests on (the evidence API lists them). When absent:
   * every device of `params.deviceType`, or every device when the params name no type.
   */
  devicesOf?(input: KpiInput, params: P): readonly DeviceLedger[];
}

export function defineIndicator<S extends z.ZodType>(
  i: Omit<Indicator<z.output<S>>, 'configSchema'> & { configSchema: S },
): Indicator<z.output<S>> {
  return i as Indicator<z.output<S>>;
}

export const round2 = (x: number) => Math.round(x * 100) / 100;
