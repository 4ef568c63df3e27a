import type { DeviceState } from '../availability/states.ts';
import type { Db } from '../store/db.ts';
import { BUCKET_MS, type RangeQuery, type Store } from '../store/store.ts';
import {
  type DeviceEvent,
  type Period,
  type ReadModel,
  type RollupRead,
  rollupResolution,
  type Span,
} from './read-model.ts';

interface IntervalRow {
  id: number;
  communeId: string;
  deviceId: string;
  state: DeviceState;
  reason: string;
  params: string | null;
  startTs: number;
  endTs: number | null;
}

/** Rows read per query: bounded memory whatever the period, few enough round trips. */
const PAGE = 1000;
/** Merging many devices keeps one page per device in memory: its size shrinks so the sum stays near this. */
const MERGE_BUDGET_ROWS = 50_000;

/**
 * The read model over the service's SQLite database (state_intervals, device_events) and the
 * time-series store (rollups). Each page is its own query, through the (device_id, start_ts)
 * index, so a long read never holds a read transaction open.
 */
export class SqliteReadModel implements ReadModel {
  private readonly page;
  private readonly lastStartBefore;
  private readonly eventRows;

  constructor(private readonly deps: { db: Db; store: Pick<Store, 'queryRollup'>; clock: () => number }) {
    // Keyset paging on (start_ts, id) within one device: the index serves it, page after page.
    this.page = deps.db.prepare(
      `SELECT id, commune_id AS communeId, device_id AS deviceId, state, reason, params,
              start_ts AS startTs, end_ts AS endTs
       FROM state_intervals
       WHERE device_id = @deviceId AND start_ts < @toTs AND (end_ts IS NULL OR end_ts > @fromTs)
         AND (start_ts, id) > (@afterStartTs, @afterId)
       ORDER BY start_ts, id LIMIT @limit`,
    );
    // A device's intervals tile time (IntervalLog), so the only one that can overlap fromTs while
    // starting before it is the last to start at or before fromTs. Starting the scan there, not at
    // the device's first interval, keeps a December read from walking the whole year's rows.
    this.lastStartBefore = deps.db
      .prepare(
        `SELECT start_ts FROM state_intervals WHERE device_id = ? AND start_ts <= ?
         ORDER BY start_ts DESC LIMIT 1`,
      )
      .pluck();
    // json_each takes any number of ids in one parameter (SQLite caps bound parameters).
    this.eventRows = deps.db.prepare(
      `SELECT commune_id AS communeId, device_id AS deviceId, ts, received_ts AS receivedTs, type,
              severity, detail
       FROM device_events
       WHERE device_id IN (SELECT value FROM json_each(@ids)) AND ts >= @fromTs AND ts < @toTs
         AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
       ORDER BY ts, device_id, id LIMIT @limit`,
    );
  }

  *spans(deviceIds: readonly string[], period: Period): Generator<Span> {
    if (!(period.fromTs < period.toTs) || deviceIds.length === 0) return;
    const now = this.deps.clock();
    const pageSize = Math.max(16, Math.min(PAGE, Math.floor(MERGE_BUDGET_ROWS / deviceIds.length)));
    const rows =
      deviceIds.length === 1
        ? this.deviceRows(deviceIds[0]!, period, pageSize)
        : mergeByStart(deviceIds.map((id) => this.deviceRows(id, period, pageSize)));
    for (const r of rows) {
      const startTs = Math.max(r.startTs, period.fromTs);
      const endTs = Math.min(r.endTs ?? now, period.toTs);
      if (endTs <= startTs) continue;
      yield {
        deviceId: r.deviceId,
        communeId: r.communeId,
        state: r.state,
        reason: r.reason,
        params: r.params ? JSON.parse(r.params) : {},
        startTs,
        endTs,
        open: r.endTs === null,
      };
    }
  }

  events(
    deviceIds: readonly string[],
    period: Period,
    limit: number,
    opts: { types?: readonly string[] } = {},
  ): DeviceEvent[] {
    if (!(period.fromTs < period.toTs) || deviceIds.length === 0 || limit <= 0) return [];
    const rows = this.eventRows.all({
      ids: JSON.stringify(deviceIds),
      types: opts.types ? JSON.stringify(opts.types) : null,
      fromTs: period.fromTs,
      toTs: period.toTs,
      limit,
    }) as Array<Omit<DeviceEvent, 'detail'> & { detail: string | null }>;
    return rows.map((r) => ({ ...r, detail: r.detail === null ? null : JSON.parse(r.detail) }));
  }

  async rollups(query: RangeQuery): Promise<RollupRead> {
    const resolution = rollupResolution(query);
    const rows = await this.deps.store.queryRollup({ ...query, resolution });
    return { resolution, bucketMs: BUCKET_MS[resolution], rows };
  }

  /** One device's overlapping intervals in (start_ts, id) order, a page at a time. */
  private *deviceRows(deviceId: string, period: Period, limit: number): Generator<IntervalRow> {
    const first = this.lastStartBefore.get(deviceId, period.fromTs) as number | undefined;
    // (start_ts, id) > (first - 1, 0): every row starting at `first` or later.
    let after = { startTs: first === undefined ? Number.MIN_SAFE_INTEGER : first - 1, id: 0 };
    for (;;) {
      const rows = this.page.all({
        deviceId,
        fromTs: period.fromTs,
        toTs: period.toTs,
        afterStartTs: after.startTs,
        afterId: after.id,
        limit,
      }) as IntervalRow[];
      yield* rows;
      if (rows.length < limit) return;
      const last = rows[rows.length - 1]!;
      after = { startTs: last.startTs, id: last.id };
    }
  }
}

/** k-way merge of per-device streams, each already in (startTs, id) order, by (startTs, deviceId, id). */
function* mergeByStart(streams: Array<Iterator<IntervalRow>>): Generator<IntervalRow> {
  const heap: Array<{ row: IntervalRow; it: Iterator<IntervalRow> }> = [];
  const before = (a: IntervalRow, b: IntervalRow) =>
    a.startTs !== b.startTs
      ? a.startTs < b.startTs
      : a.deviceId !== b.deviceId
        ? a.deviceId < b.deviceId
        : a.id < b.id;
  const push = (item: { row: IntervalRow; it: Iterator<IntervalRow> }) => {
    heap.push(item);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!before(heap[i]!.row, heap[p]!.row)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!.row, heap[m]!.row)) m = l;
        if (r < heap.length && before(heap[r]!.row, heap[m]!.row)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (const it of streams) {
    const n = it.next();
    if (!n.done) push({ row: n.value, it });
  }
  while (heap.length > 0) {
    const { row, it } = pop();
    yield row;
    const n = it.next();
    if (!n.done) push({ row: n.value, it });
  }
}
