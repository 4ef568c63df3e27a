import { z } from 'zod';
import { Id, Text } from './common.ts';

/**
 * Maintenance windows, quiet hours and the daily digest (issue #14 item 2). Times are
 * Asia/Ho_Chi_Minh wall clock (UTC+7 all year, no DST), as people in the commune say them.
 */
export const WINDOW_WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WindowWeekday = (typeof WINDOW_WEEKDAYS)[number];

/** How far ahead a one-off window may lie, and how long it may last: as for device maintenance. */
export const WINDOW_MAX_DAYS = 90;

export const ClockTime = z
  .string()
  .regex(
    /^([01]\d|2[0-3]):[0-5]\d$/,
    'must be a 24-hour time HH:MM in Vietnam time (e.g. "22:00"); quote it',
  );

/**
 * When a window holds. Kept to three shapes a person can check by eye (no cron strings): once
 * between two instants; daily at a time for a duration; on some weekdays at a time for a duration
 * (`weekly`, days: [tue], at: "22:00", durationMin: 240 is every Tuesday 22:00–02:00). An
 * occurrence may run past midnight; it belongs to the day it starts on.
 */
export const WindowScheduleSchema = z.discriminatedUnion('kind', [
  z
    .strictObject({ kind: z.literal('once'), startTs: z.number().int(), untilTs: z.number().int() })
    .refine((s) => s.untilTs > s.startTs, { message: 'must be after startTs', path: ['untilTs'] })
    .refine((s) => s.untilTs - s.startTs <= WINDOW_MAX_DAYS * 86_400_000, {
      message: `a window lasts at most ${WINDOW_MAX_DAYS} days`,
      path: ['untilTs'],
    }),
  z.strictObject({
    kind: z.literal('daily'),
    at: ClockTime,
    durationMin: z.number().int().min(1).max(1440, 'a daily window lasts at most 1440 minutes (a day)'),
  }),
  z.strictObject({
    kind: z.literal('weekly'),
    days: z.array(z.enum(WINDOW_WEEKDAYS)).min(1, 'name at least one day, e.g. [tue]'),
    at: ClockTime,
    durationMin: z.number().int().min(1).max(10_080, 'a weekly window lasts at most 10080 minutes (a week)'),
  }),
]);
export type WindowSchedule = z.output<typeof WindowScheduleSchema>;

/** What a window covers: one device, or the devices of a site or a hamlet. */
export const WindowScopeSchema = z.strictObject({
  kind: z.enum(['device', 'site', 'hamlet']),
  id: Id,
});
export type WindowScope = z.output<typeof WindowScopeSchema>;

/** A window the commune plans in its file (recurring works, e.g. the contractor's Tuesday night). */
export const ConfigWindowSchema = z.strictObject({
  /** Stable: keys the window's started occurrences, so never rename it. */
  id: Id,
  scope: WindowScopeSchema,
  reason: Text,
  schedule: WindowScheduleSchema,
});

/**
 * Quiet hours: notifications of non-exempt alerts queued in this span wait in the outbox until it
 * ends. `start` after `end` spans midnight (22:00–06:00). Critical alerts always go by default.
 */
export const QuietHoursSchema = z.strictObject({
  start: ClockTime,
  end: ClockTime,
  exemptSeverities: z.array(z.enum(['critical', 'warning', 'info'])).default(['critical']),
  /** Device types whose alerts always go (e.g. [camera, uplink]), whatever their severity. */
  exemptDeviceTypes: z.array(z.string()).default([]),
});
export type QuietHours = z.output<typeof QuietHoursSchema>;

/** The daily digest of yesterday's alerts, to each named user (every user with a contact if none named). */
export const DigestSchema = z.strictObject({
  at: ClockTime.default('07:00'),
  roles: z.array(z.enum(['police', 'economics', 'technician', 'leader', 'admin'])).optional(),
  users: z.array(z.string()).optional(),
});
export type Digest = z.output<typeof DigestSchema>;
