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

/** A GeoJSON position: [longitude, latitude] in that order (RFC 7946 §3.1.1), WGS 84. */
const Position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)], {
  error: 'must be a [longitude, latitude] pair (GeoJSON order: longitude first)',
});

/** A closed ring: at least four positions, the last equal to the first (RFC 7946 §3.1.6). */
const LinearRing = z
  .array(Position)
  .min(4, 'a ring needs at least 4 positions, the last repeating the first')
  .refine((r) => r[0]![0] === r.at(-1)![0] && r[0]![1] === r.at(-1)![1], {
    message: 'a ring must end where it starts: repeat the first position at the end',
  });

/** A hamlet's outline for the offline map: a GeoJSON Polygon geometry (outer ring, then holes). */
export const GeoPolygon = z.strictObject({
  type: z.literal('Polygon'),
  coordinates: z.array(LinearRing).min(1, 'give at least the outer ring'),
});

/** A road for the offline map: a GeoJSON LineString or MultiLineString geometry. */
export const GeoLine = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('LineString'),
    coordinates: z.array(Position).min(2, 'a line needs at least 2 positions'),
  }),
  z.strictObject({
    type: z.literal('MultiLineString'),
    coordinates: z.array(z.array(Position).min(2, 'a line needs at least 2 positions')).min(1),
  }),
]);
