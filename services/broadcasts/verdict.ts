import type { DeviceState } from '../availability/states.ts';
import { PLAYED_EVENT } from '../protocol/events.ts';
import type { ReasonCode, ReasonParams } from '../protocol/reasons.ts';
import type { DeviceEvent, Span } from '../read-model/read-model.ts';
import type { Occurrence } from './schedule.ts';

/** The event a loudspeaker (or its controller, reporting for it) sends for what it played. */
export { PLAYED_EVENT };
/** A speaker's clock may run a little fast: a play started this early still counts. */
export const EARLY_MS = 60_000;

export type MissCause = 'speaker-down' | 'uplink-down' | 'no-confirmation' | 'maintenance' | 'unknown';

export interface HamletSpeakers {
  readonly hamletId: string;
  readonly hamletName: string;
  readonly speakers: readonly { readonly id: string; readonly name: string }[];
}

/** What one speaker was doing during an occurrence's confirmation window. */
export interface SpeakerEvidence {
  readonly deviceId: string;
  readonly name: string;
  /** Up when it was up or degraded for any part of the window, else the state covering most of it. */
  readonly state: DeviceState;
  /** The reason of that state's span (for unreachable: the upstream cause). */
  readonly reason: { readonly code: string; readonly params: ReasonParams } | null;
}

export interface HamletResult {
  readonly hamletId: string;
  readonly hamletName: string;
  /** `pending`: not confirmed yet, but its confirmation window is still open. */
  readonly outcome: 'played' | 'missed' | 'pending';
  /** Why it was missed; absent when played. */
  readonly cause?: MissCause;
  /** The verdict as a catalogue reason (`reason.broadcast-*`), for people to read. */
  readonly reason: { readonly code: string; readonly params: ReasonParams };
  /** The span reason behind a speaker-down or uplink-down (e.g. upstream-down naming the line). */
  readonly upstream?: { readonly code: string; readonly params: ReasonParams };
  /** The confirmation: which speaker, when it started. */
  readonly confirmedBy?: { readonly deviceId: string; readonly startedTs: number };
  readonly speakers: readonly SpeakerEvidence[];
}

/** Whether an event confirms this occurrence: the right type, broadcast (or none named) and start. */
export function confirms(e: DeviceEvent, occ: Occurrence): number | null {
  if (e.type !== PLAYED_EVENT) return null;
  const d = (e.detail ?? {}) as { broadcastId?: unknown; startedTs?: unknown };
  if (typeof d.broadcastId === 'string' && d.broadcastId !== occ.broadcastId) return null;
  const startedTs = typeof d.startedTs === 'number' ? d.startedTs : e.ts;
  return startedTs >= occ.startTs - EARLY_MS && startedTs < occ.confirmByTs ? startedTs : null;
}

/** Which speaker state a window shows: any up time wins, else the longest, gaps as unknown. */
function evidenceOf(
  speaker: { id: string; name: string },
  spans: readonly Span[],
  occ: Occurrence,
): SpeakerEvidence {
  const mine = spans.filter(
    (s) => s.deviceId === speaker.id && s.endTs > occ.startTs && s.startTs < occ.confirmByTs,
  );
  const clip = (s: Span) => Math.min(s.endTs, occ.confirmByTs) - Math.max(s.startTs, occ.startTs);
  const up = mine.find((s) => s.state === 'up' || s.state === 'degraded');
  const chosen = up ?? [...mine].sort((a, b) => clip(b) - clip(a))[0];
  const covered = mine.reduce((n, s) => n + clip(s), 0);
  const gap = occ.confirmByTs - occ.startTs - covered;
  if (!chosen || (!up && gap > clip(chosen)))
    return { deviceId: speaker.id, name: speaker.name, state: 'unknown', reason: null };
  return {
    deviceId: speaker.id,
    name: speaker.name,
    state: chosen.state === 'degraded' ? 'up' : chosen.state,
    reason: { code: chosen.reason, params: chosen.params },
  };
}

const names = (ev: readonly SpeakerEvidence[]) => ev.map((e) => e.name).join(', ');

/**
 * A missed hamlet's cause, in order of precedence: a speaker up means it heard nothing to confirm;
 * else a speaker down, then one unreachable (its upstream's reason kept), then maintenance.
 */
const MISS_ORDER: ReadonlyArray<{
  readonly state: DeviceState;
  readonly cause: Exclude<MissCause, 'unknown'>;
  readonly code: ReasonCode;
  /** Keep the first such speaker's own reason (what took its line or power down). */
  readonly upstream: boolean;
}> = [
  { state: 'up', cause: 'no-confirmation', code: 'broadcast-no-confirmation', upstream: false },
  { state: 'down', cause: 'speaker-down', code: 'broadcast-speaker-down', upstream: true },
  { state: 'unreachable', cause: 'uplink-down', code: 'broadcast-uplink-down', upstream: true },
  { state: 'maintenance', cause: 'maintenance', code: 'broadcast-maintenance', upstream: false },
];

function missed(h: HamletSpeakers, ev: readonly SpeakerEvidence[]): HamletResult {
  const base = { hamletId: h.hamletId, hamletName: h.hamletName, outcome: 'missed' as const, speakers: ev };
  for (const m of MISS_ORDER) {
    const hit = ev.filter((e) => e.state === m.state);
    if (hit.length === 0) continue;
    const upstream = m.upstream ? hit[0]!.reason : undefined;
    return {
      ...base,
      cause: m.cause,
      reason: { code: m.code, params: { names: names(hit) } },
      ...(upstream ? { upstream } : {}),
    };
  }
  return { ...base, cause: 'unknown', reason: { code: 'broadcast-unknown', params: {} } };
}

/**
 * Per hamlet with loudspeakers, whether one occurrence played there: `played` when a speaker of the
 * hamlet confirmed a play that started in [startTs − 1 min, confirmByTs); else `missed`, with the
 * cause read from its speakers' state spans over that window. Pure: evidence in, verdicts out.
 * `events` and `spans` may hold other devices and times; only what fits is used. Before `nowTs`
 * passes confirmByTs an unconfirmed hamlet is `pending`, not missed.
 */
export function judgeOccurrence(
  occ: Occurrence,
  hamlets: readonly HamletSpeakers[],
  events: readonly DeviceEvent[],
  spans: readonly Span[],
  nowTs = Number.POSITIVE_INFINITY,
): HamletResult[] {
  return hamlets
    .filter((h) => h.speakers.length > 0)
    .map((h) => {
      const ids = new Set(h.speakers.map((s) => s.id));
      const ev = h.speakers.map((s) => evidenceOf(s, spans, occ));
      for (const e of events) {
        if (!ids.has(e.deviceId)) continue;
        const startedTs = confirms(e, occ);
        if (startedTs === null) continue;
        const name = h.speakers.find((s) => s.id === e.deviceId)!.name;
        return {
          hamletId: h.hamletId,
          hamletName: h.hamletName,
          outcome: 'played' as const,
          reason: { code: 'broadcast-played', params: { names: name } },
          confirmedBy: { deviceId: e.deviceId, startedTs },
          speakers: ev,
        };
      }
      if (nowTs < occ.confirmByTs)
        return {
          hamletId: h.hamletId,
          hamletName: h.hamletName,
          outcome: 'pending' as const,
          reason: { code: 'broadcast-pending', params: {} },
          speakers: ev,
        };
      return missed(h, ev);
    });
}
