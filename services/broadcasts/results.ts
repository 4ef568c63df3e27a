import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { DeviceEvent, Period, ReadModel, Span } from '../read-model/read-model.ts';
import { type Occurrence, occurrences } from './schedule.ts';
import { EARLY_MS, type HamletResult, type HamletSpeakers, judgeOccurrence } from './verdict.ts';

/** Events read per occurrence: a commune's speakers confirm once each, so this is ample. */
const EVENT_LIMIT = 10_000;

export interface OccurrenceResult extends Occurrence {
  readonly hamlets: readonly HamletResult[];
  readonly played: number;
  readonly missed: number;
}

/** The hamlets of a commune with their loudspeakers, in the commune file's order. */
export function hamletSpeakers(directory: DeviceDirectory, communeId: string): HamletSpeakers[] {
  const commune = directory.communes.get(communeId);
  if (!commune) return [];
  const speakers = [...directory.all()].filter(
    (d) => d.communeId === communeId && d.type.kind === 'loudspeaker',
  );
  return commune.hamlets.map((h) => ({
    hamletId: h.id,
    hamletName: h.name,
    speakers: speakers.filter((d) => d.hamletId === h.id).map((d) => ({ id: d.id, name: d.name })),
  }));
}

/**
 * Every occurrence that started in `period` (and not after now) in `communeIds`, newest first,
 * each judged per hamlet from the read model's events and spans. `hamletId` narrows to one hamlet.
 */
export function broadcastResults(
  deps: { readModel: ReadModel; directory: DeviceDirectory; clock: () => number },
  communeIds: readonly string[],
  period: Period,
  hamletId?: string,
): OccurrenceResult[] {
  const nowTs = deps.clock();
  const upTo: Period = { fromTs: period.fromTs, toTs: Math.min(period.toTs, nowTs + 1) };
  const out: OccurrenceResult[] = [];
  for (const communeId of communeIds) {
    const commune = deps.directory.communes.get(communeId);
    if (!commune || commune.broadcasts.length === 0 || !(upTo.fromTs < upTo.toTs)) continue;
    const hamlets = hamletSpeakers(deps.directory, communeId).filter(
      (h) => h.speakers.length > 0 && (hamletId === undefined || h.hamletId === hamletId),
    );
    if (hamlets.length === 0) continue;
    const ids = hamlets.flatMap((h) => h.speakers.map((s) => s.id));
    for (const occ of occurrences(communeId, commune.broadcasts, upTo)) {
      // A speaker may confirm when it has finished: read events up to the end plus the window.
      const events: DeviceEvent[] = deps.readModel.events(
        ids,
        { fromTs: occ.startTs - EARLY_MS, toTs: occ.endTs + (occ.confirmByTs - occ.startTs) },
        EVENT_LIMIT,
      );
      const spans: Span[] = [...deps.readModel.spans(ids, { fromTs: occ.startTs, toTs: occ.confirmByTs })];
      const results = judgeOccurrence(occ, hamlets, events, spans, nowTs);
      out.push({
        ...occ,
        hamlets: results,
        played: results.filter((r) => r.outcome === 'played').length,
        missed: results.filter((r) => r.outcome === 'missed').length,
      });
    }
  }
  return out.sort((a, b) => b.startTs - a.startTs || a.communeId.localeCompare(b.communeId));
}
