import { z } from 'zod';

/** Ids are kebab-case: they end up in MQTT topics, URLs and database keys. */
export const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes (e.g. "tl-cam-01")');

/** Human text is stored in NFC so that "Tà Lài" typed on any keyboard compares equal. */
export const Text = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .transform((s) => s.normalize('NFC'));

export const GeoPoint = z.strictObject({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

/** A calendar date written the ISO way in the file (2026-03-15); shown as 15/03/2026 in the UI. */
export const IsoDate = z.iso.date();

/** Days of data kept (1 .. 36,500, a century). Whole days; the prune runs once a day. */
export const RetentionDays = z
  .number()
  .int('must be a whole number of days')
  .min(1, 'must be at least 1 day')
  .max(36_500, 'must be at most 36500 days (a century)');
