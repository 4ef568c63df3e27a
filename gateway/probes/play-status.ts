import { z } from 'zod';
import { BasicAuth, Pattern } from './http.ts';
import { answered, type DeviceProbe, down, type ProbeEvent, type ProbeResult } from './probe.ts';
import { getPage, isPage, type Page } from './support/http-get.ts';
import { PLAYED_EVENT } from './wire.ts';

/** A dotted path into the status document: `lastPlayed.startedAt`, `items.0.id`. */
const Path = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'is not a dotted path (a.b.c)');
const BroadcastId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'is not a broadcast id of the schedule');

const PlayStatusConfig = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }),
    insecure: z.boolean().default(false),
    basicAuth: BasicAuth.optional(),
    latencyDegradedMs: z.number().int().positive().optional(),
    /** Where a JSON status page names its last played item (the default shape is the demo's). */
    json: z
      .strictObject({
        item: Path.default('lastPlayed.id'),
        startedAt: Path.default('lastPlayed.startedAt'),
        durationSec: Path.optional(),
      })
      .optional(),
    /** A text or HTML page instead: named groups `item` and `startedAt` (and `durationSec`). */
    textPattern: Pattern.refine((p) => p.includes('(?<item>') && p.includes('(?<startedAt>'), {
      message: 'must have the named groups (?<item>…) and (?<startedAt>…)',
    }).optional(),
    /** Offset of a start time written without one (controllers show local time): Vietnam's. */
    utcOffset: z
      .string()
      .regex(/^[+-]\d\d:\d\d$/, 'is not an offset like +07:00')
      .default('+07:00'),
    /**
     * The controller's item name → the commune schedule's broadcast id (`broadcasts:`). An item not
     * listed is confirmed without an id: it counts for whatever bulletin was due when it started.
     */
    items: z.record(z.string().min(1).max(200), BroadcastId).optional(),
  })
  .refine((c) => c.json === undefined || c.textPattern === undefined, {
    path: ['textPattern'],
    message: 'give json or textPattern, not both',
  });
export type PlayStatusConfig = z.output<typeof PlayStatusConfig>;

/** What a status page says it played last; null when it has played nothing yet. */
interface Played {
  readonly item: string;
  readonly startedTs: number;
  readonly durationSec?: number;
}

/** The last play already reported per target (the runtime passes the same config object each run). */
const reported = new WeakMap<PlayStatusConfig, string>();

/**
 * A loudspeaker controller's status page (vendor HTTP API or web page), polled for "did the
 * bulletin play": the page names the last item played and when it started. A new one (or the
 * first seen) becomes a `broadcast-played` event at the controller's own start time, the same
 * event a controller that speaks MQTT sends, so services/broadcasts judges both alike; reading it
 * again after a restart gives the same event key, stored once. The page answering is the
 * controller's sign of life (`up`, or `degraded / latency-high`); a page that answers but cannot be
 * read is `degraded / play-status-unreadable` (the controller lives, its confirmations do not
 * reach us); a status other than 200 is `down / http-status`.
 */
export const playStatus: DeviceProbe<PlayStatusConfig> = {
  kind: 'play-status',
  label: { vi: 'Trạng thái phát của bộ điều khiển loa', en: 'Loudspeaker controller play status' },
  configSchema: PlayStatusConfig,
  secretKeys: ['password'],
  exampleConfig: {
    url: 'http://192.168.30.10/api/status',
    insecure: false,
    json: { item: 'lastPlayed.id', startedAt: 'lastPlayed.startedAt', durationSec: 'lastPlayed.durationSec' },
    utcOffset: '+07:00',
    items: { 'Ban tin sang': 'sang', 'Ban tin chieu': 'chieu' },
  },
  async probe(target, signal) {
    const page = await getPage(
      {
        url: target.url,
        method: 'GET',
        insecure: target.insecure,
        basicAuth: target.basicAuth,
        skipBody: false,
      },
      signal,
    );
    if (!isPage(page)) return page;
    return judge(target, page);
  },
};

function judge(target: PlayStatusConfig, page: Page): ProbeResult {
  const metrics: Record<string, number> = { latencyMs: page.latencyMs, httpStatus: page.status };
  if (page.status !== 200)
    return { ...down('http-status', { status: page.status, expected: '200' }), metrics };
  const read = target.textPattern ? fromText(target, page.body) : fromJson(target, page.body);
  if (typeof read === 'string')
    return {
      verdict: 'degraded',
      reason: { code: 'play-status-unreadable', params: { detail: read } },
      metrics,
    };
  const result = answered(target, page.latencyMs, metrics);
  if (read === null) return result;
  metrics.lastPlayedAgoMin = Math.max(0, Math.round((Date.now() - read.startedTs) / 60_000));
  const key = `${read.item}\u0000${read.startedTs}`;
  if (reported.get(target) === key) return result;
  reported.set(target, key);
  const broadcastId = target.items?.[read.item];
  const event: ProbeEvent = {
    type: PLAYED_EVENT,
    severity: 'info',
    ts: read.startedTs,
    detail: {
      item: read.item.slice(0, 200),
      startedTs: read.startedTs,
      ...(broadcastId ? { broadcastId } : {}),
      ...(read.durationSec !== undefined ? { durationSec: read.durationSec } : {}),
    },
  };
  return { ...result, events: [event] };
}

/** The play a JSON page names, null for none yet, or what could not be read (a short English phrase). */
function fromJson(target: PlayStatusConfig, body: string): Played | null | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  const paths = target.json ?? { item: 'lastPlayed.id', startedAt: 'lastPlayed.startedAt' };
  const item = at(doc, paths.item);
  if (item === undefined || item === null || item === '') return null;
  if (typeof item !== 'string' && typeof item !== 'number') return `${paths.item} is not a name`;
  const startedTs = toTs(at(doc, paths.startedAt), target.utcOffset);
  if (startedTs === null) return `${paths.startedAt} is not a time`;
  const duration = paths.durationSec ? Number(at(doc, paths.durationSec)) : Number.NaN;
  return { item: String(item), startedTs, ...(Number.isFinite(duration) ? { durationSec: duration } : {}) };
}

function fromText(target: PlayStatusConfig, body: string): Played | string {
  const g = new RegExp(target.textPattern!, 'u').exec(body)?.groups;
  if (!g?.item) return 'textPattern does not match';
  const startedTs = toTs(g.startedAt, target.utcOffset);
  if (startedTs === null) return 'startedAt is not a time';
  const duration = Number(g.durationSec);
  return { item: g.item.trim(), startedTs, ...(Number.isFinite(duration) ? { durationSec: duration } : {}) };
}

function at(doc: unknown, path: string): unknown {
  let v = doc;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * Epoch ms from what controllers write: epoch seconds or ms, ISO 8601 with an offset, or a local
 * `YYYY-MM-DD HH:MM[:SS]` (read at `utcOffset`). Null for anything else or an implausible year.
 */
export function toTs(v: unknown, utcOffset: string): number | null {
  let ts = Number.NaN;
  if (typeof v === 'number') ts = v < 1e11 ? v * 1000 : v;
  else if (typeof v === 'string') {
    const local = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(:\d\d(\.\d+)?)?)$/.exec(v.trim());
    ts = local ? Date.parse(`${local[1]}T${local[2]}${utcOffset}`) : Date.parse(v);
  }
  // 2000 – 2100: a controller whose clock was never set reports 1970.
  return Number.isFinite(ts) && ts > 946_684_800_000 && ts < 4_102_444_800_000 ? Math.round(ts) : null;
}
