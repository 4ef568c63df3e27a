import { z } from 'zod';
import { Id, Text } from './common.ts';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const Clock = z.string().regex(HHMM, 'must be a 24-hour time HH:MM in Vietnam time (e.g. "06:00"); quote it');
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** A daily window of service, Vietnam wall clock, e.g. public Wi-Fi 06:00–22:00. */
export const ServiceWindowSchema = z
  .strictObject({
    from: Clock,
    to: Clock,
    /** The weekdays it applies to; every day when absent. */
    days: z.array(z.enum(DAYS)).min(1).optional(),
  })
  .refine((w) => w.to > w.from, {
    message: 'to must be after from on the same day (split a window that crosses midnight in two)',
    path: ['to'],
  });
export type ServiceWindow = z.output<typeof ServiceWindowSchema>;

/**
 * When a device class must work, for uptime and coverage: `always`, `broadcasts` (the commune's
 * scheduled bulletins, for loudspeakers: a speaker silent at 02:00 harms nobody), or windows.
 */
export const ServiceHoursSchema = z.union([
  z.literal('always'),
  z.literal('broadcasts'),
  z.array(ServiceWindowSchema).min(1),
]);
export type ServiceHours = z.output<typeof ServiceHoursSchema>;

/**
 * A plan's indicator with its target. `indicator` is a kind of services/kpi/indicators/registry.ts
 * and `params` are checked against that kind's schema at load (config/load.ts); `target` is in
 * the indicator's unit (percent, count, minutes or hours) and its direction (higher or lower is
 * better) belongs to the kind.
 */
export const KpiTargetSchema = z.strictObject({
  id: Id,
  name: Text,
  indicator: z.string(),
  params: z.record(z.string(), z.unknown()).default({}),
  target: z.number().min(0),
  period: z.enum(['month', 'quarter', 'year']),
  /** Where the indicator comes from in the plan (e.g. "Chỉ tiêu 9"). */
  planRef: Text.optional(),
});
export type KpiTargetConfig = z.output<typeof KpiTargetSchema>;

/**
 * A scheduled report. `after-period`: the whole previous period, made when it closes, due on
 * `dueDay` of the next month (Tà Lài: "báo cáo UBND tỉnh trước ngày 25 hằng tháng").
 * `in-period`: the period so far, cut at local midnight `leadDays` before `dueDay` of the period's
 * last month (Thanh Sơn: quarterly, before the 15th of the quarter's last month).
 */
export const ReportScheduleSchema = z.strictObject({
  id: Id,
  period: z.enum(['month', 'quarter']),
  due: z.enum(['after-period', 'in-period']).default('after-period'),
  dueDay: z.number().int().min(2).max(28),
  leadDays: z.number().int().min(1).max(27).default(1),
  formats: z
    .array(z.enum(['pdf', 'xlsx', 'csv']))
    .min(1)
    .default(['pdf', 'xlsx', 'csv']),
  planRef: Text.optional(),
});
export type ReportScheduleConfig = z.output<typeof ReportScheduleSchema>;

/** The commune's KPI accounting and reporting settings (`kpi:` in the commune file). */
export const KpiSectionSchema = z.strictObject({
  /** Service hours per device type kind; a type not listed counts around the clock. */
  serviceHours: z.record(z.string(), ServiceHoursSchema).default({}),
  /** A KPI meeting its target by less than this (in the indicator's unit) shows as at risk. */
  atRiskMargin: z.number().min(0).default(1),
  reports: z.array(ReportScheduleSchema).default([]),
  /** Place written on reports ("Tà Lài, ngày … tháng … năm …"); default: the commune name without "Xã". */
  place: Text.optional(),
  /** Who signs (chức danh, họ tên) in the signature block. */
  signerTitle: Text.optional(),
  signerName: Text.optional(),
});
export type KpiSection = z.output<typeof KpiSectionSchema>;
