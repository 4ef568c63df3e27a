import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { SensorUplinks } from '../kpi/indicator.ts';
import type { Period } from '../read-model/read-model.ts';
import type { Store } from '../store/store.ts';
import { uplinkIntervalSec } from './plots.ts';

/** A sensor at a 5-min interval sends ~105,000 uplinks a year; read a page at a time. */
const PAGE = 20_000;

/**
 * The uplinks (stored `heartbeat` readings, one per frame heard) each soil sensor of the commune
 * sent in the period, for the farm-completeness indicator. The edge of that figure: the KPI engine
 * itself stays pure. Rejects with StoreError like Store.query.
 */
export async function readUplinks(
  deps: { directory: Pick<DeviceDirectory, 'all'>; store: Pick<Store, 'query'> },
  communeId: string,
  period: Period,
): Promise<Map<string, SensorUplinks>> {
  const out = new Map<string, SensorUplinks>();
  for (const d of deps.directory.all()) {
    if (d.communeId !== communeId || d.type.kind !== 'soil-sensor') continue;
    const ts: number[] = [];
    for (let fromTs = period.fromTs; ; ) {
      const page = await deps.store.query({
        communeId,
        deviceId: d.id,
        metric: 'heartbeat',
        fromTs,
        toTs: period.toTs,
        limit: PAGE,
      });
      for (const r of page) ts.push(r.ts);
      if (page.length < PAGE) break;
      fromTs = page.at(-1)!.ts + 1;
    }
    out.set(d.id, { intervalSec: uplinkIntervalSec(d), ts });
  }
  return out;
}
