import type { Db } from '../store/db.ts';
import type { AlertStatus } from './lifecycle.ts';

export interface AlertRow {
  readonly id: number;
  readonly key: string;
  readonly communeId: string;
  readonly ruleId: string;
  /** The rule's kind, or `flapping`. */
  readonly kind: string;
  readonly severity: string;
  readonly deviceId: string;
  readonly state: string;
  readonly reason: string;
  readonly params: Record<string, string | number>;
  readonly sinceTs: number;
  readonly status: AlertStatus;
  readonly openedTs: number;
  readonly behind: string[];
  readonly step: number;
  readonly steppedTs: number;
  readonly notifiedTs: number;
  readonly repeats: number;
  readonly ackedBy: string | null;
  readonly ackedTs: number | null;
  readonly ackNote: string | null;
  readonly ackUntilTs: number | null;
  readonly resolvedTs: number | null;
  readonly resolvedBy: string | null;
  readonly resolveNote: string | null;
  /** Since when its device is in maintenance or a window (no repeats, no escalation); null if not. */
  readonly suppressedSinceTs: number | null;
}

const COLUMNS = `id, key, commune_id AS communeId, rule_id AS ruleId, kind, severity, device_id AS deviceId, state,
  reason, params, since_ts AS sinceTs, status, opened_ts AS openedTs, behind, step, stepped_ts AS steppedTs,
  notified_ts AS notifiedTs, repeats, acked_by AS ackedBy, acked_ts AS ackedTs, ack_note AS ackNote,
  ack_until_ts AS ackUntilTs, resolved_ts AS resolvedTs, resolved_by AS resolvedBy, resolve_note AS resolveNote,
  suppressed_since_ts AS suppressedSinceTs`;

type Raw = Omit<AlertRow, 'params' | 'behind'> & { params: string | null; behind: string };
const parse = (r: Raw): AlertRow => ({
  ...r,
  params: r.params ? JSON.parse(r.params) : {},
  behind: JSON.parse(r.behind) as string[],
});

/** The alerts table: one row per episode, its lifecycle columns written by the engine and the API. */
export class AlertStore {
  constructor(private readonly db: Db) {}

  get(id: number): AlertRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM alerts WHERE id = ?`).get(id) as Raw | undefined;
    return r && parse(r);
  }

  hasKey(key: string): boolean {
    return this.db.prepare('SELECT 1 FROM alerts WHERE key = ?').get(key) !== undefined;
  }

  open(): AlertRow[] {
    return (
      this.db.prepare(`SELECT ${COLUMNS} FROM alerts WHERE status != 'resolved' ORDER BY id`).all() as Raw[]
    ).map(parse);
  }

  /** Resolved alerts, newest first. */
  history(limit: number, beforeId = Number.MAX_SAFE_INTEGER): AlertRow[] {
    return (
      this.db
        .prepare(
          `SELECT ${COLUMNS} FROM alerts WHERE status = 'resolved' AND id < ? ORDER BY id DESC LIMIT ?`,
        )
        .all(beforeId, limit) as Raw[]
    ).map(parse);
  }

  insert(a: {
    key: string;
    communeId: string;
    ruleId: string;
    kind: string;
    severity: string;
    deviceId: string;
    state: string;
    reason: string;
    params: Record<string, unknown>;
    sinceTs: number;
    status: AlertStatus;
    behind: string[];
    now: number;
    resolvedTs?: number;
  }): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO alerts (key, commune_id, rule_id, kind, severity, device_id, state, reason, params, since_ts,
             status, opened_ts, behind, stepped_ts, notified_ts, resolved_ts)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          a.key,
          a.communeId,
          a.ruleId,
          a.kind,
          a.severity,
          a.deviceId,
          a.state,
          a.reason,
          Object.keys(a.params).length ? JSON.stringify(a.params) : null,
          a.sinceTs,
          a.status,
          a.now,
          JSON.stringify(a.behind),
          a.now,
          a.now,
          a.resolvedTs ?? null,
        ).lastInsertRowid,
    );
  }

  /** The open alerts by device id. */
  openByDevice(): Map<string, AlertRow[]> {
    const m = new Map<string, AlertRow[]>();
    for (const a of this.open()) m.set(a.deviceId, [...(m.get(a.deviceId) ?? []), a]);
    return m;
  }

  /** Sets the listed lifecycle columns (camelCase names of AlertRow). */
  update(
    id: number,
    set: Partial<
      Record<
        | 'status'
        | 'step'
        | 'steppedTs'
        | 'notifiedTs'
        | 'repeats'
        | 'ackedBy'
        | 'ackedTs'
        | 'ackNote'
        | 'ackUntilTs'
        | 'resolvedTs'
        | 'resolvedBy'
        | 'resolveNote'
        | 'suppressedSinceTs'
        | 'behind',
        unknown
      >
    >,
  ): void {
    const cols = Object.keys(set);
    if (cols.length === 0) return;
    const sql = cols.map((c) => `${c.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`)} = ?`).join(', ');
    const values = cols.map((c) =>
      c === 'behind' ? JSON.stringify(set.behind) : set[c as keyof typeof set],
    );
    this.db.prepare(`UPDATE alerts SET ${sql} WHERE id = ?`).run(...(values as never[]), id);
  }
}
