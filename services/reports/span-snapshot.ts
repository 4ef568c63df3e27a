import type { Period, ReadModel, Span } from '../read-model/read-model.ts';

/**
 * The spans of some devices over a window, read once, served for any period inside it with the
 * read model's contract (clipped, ordered by start then device id). A report reads its period and
 * the twelve months of its trend: thirteen reads of the same intervals from SQLite cost ~90 % of
 * its time (npm run bench -- --only reports), one read and in-memory clipping do not.
 */
export function spanSnapshot(
  readModel: Pick<ReadModel, 'spans'>,
  deviceIds: readonly string[],
  window: Period,
): Pick<ReadModel, 'spans'> {
  // One device at a time: each read is then one index range in order, with no merge across devices.
  const byDevice = new Map<string, Span[]>();
  for (const id of new Set(deviceIds)) byDevice.set(id, [...readModel.spans([id], window)]);
  return {
    spans(ids, period) {
      if (period.fromTs < window.fromTs || period.toTs > window.toTs)
        throw new Error('spanSnapshot: period outside the window read');
      const out: Span[] = [];
      for (const id of new Set(ids)) {
        const list = byDevice.get(id);
        if (!list) continue;
        // Spans of one device are disjoint and in order: the first that ends after fromTs.
        let lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (list[mid]!.endTs <= period.fromTs) lo = mid + 1;
          else hi = mid;
        }
        for (let i = lo; i < list.length && list[i]!.startTs < period.toTs; i++) {
          const s = list[i]!;
          const startTs = Math.max(s.startTs, period.fromTs);
          const endTs = Math.min(s.endTs, period.toTs);
          if (endTs > startTs)
            out.push(startTs === s.startTs && endTs === s.endTs ? s : { ...s, startTs, endTs });
        }
      }
      return out.sort(
        (a, b) => a.startTs - b.startTs || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0),
      );
    },
  };
}
