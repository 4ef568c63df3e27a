import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * The relational store: inventory, users, sessions, state intervals, rejects, audit. Append-only
 * migrations; each runs once, in order, recorded in `schema_migrations`.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE communes (id TEXT PRIMARY KEY, name TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE TABLE devices (
     id TEXT PRIMARY KEY, commune_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL,
     site_id TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE TABLE device_credentials (
     device_id TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_ts INTEGER NOT NULL);
   CREATE TABLE users (
     username TEXT PRIMARY KEY, commune_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
     password_hash TEXT NOT NULL, updated_ts INTEGER NOT NULL);
   CREATE TABLE sessions (
     token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, created_ts INTEGER NOT NULL, expires_ts INTEGER NOT NULL);
   CREATE TABLE state_intervals (
     id INTEGER PRIMARY KEY, commune_id TEXT NOT NULL, device_id TEXT NOT NULL, state TEXT NOT NULL,
     reason TEXT NOT NULL, params TEXT, start_ts INTEGER NOT NULL, end_ts INTEGER);
   CREATE INDEX state_intervals_device ON state_intervals (device_id, start_ts);
   CREATE UNIQUE INDEX state_intervals_open ON state_intervals (device_id) WHERE end_ts IS NULL;
   CREATE TABLE device_status (
     device_id TEXT PRIMARY KEY, commune_id TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,
     params TEXT, since_ts INTEGER NOT NULL, last_heard_ts INTEGER, last_heartbeat_ts INTEGER, last_heartbeat TEXT);
   CREATE TABLE device_events (
     id INTEGER PRIMARY KEY, commune_id TEXT NOT NULL, device_id TEXT NOT NULL, ts INTEGER NOT NULL,
     received_ts INTEGER NOT NULL, type TEXT NOT NULL, severity TEXT NOT NULL, detail TEXT);
   CREATE UNIQUE INDEX device_events_key ON device_events (device_id, ts, type);
   CREATE TABLE rejects (
     id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, source TEXT NOT NULL, reason TEXT NOT NULL,
     commune_id TEXT, device_id TEXT, client_id TEXT, topic TEXT, detail TEXT, payload TEXT);
   CREATE INDEX rejects_device ON rejects (device_id, id);
   CREATE TABLE reject_counts (
     source TEXT NOT NULL, reason TEXT NOT NULL, device_id TEXT NOT NULL, count INTEGER NOT NULL,
     last_ts INTEGER NOT NULL, PRIMARY KEY (source, reason, device_id));
   CREATE TABLE service_runs (
     id INTEGER PRIMARY KEY, started_ts INTEGER NOT NULL, alive_ts INTEGER NOT NULL, stopped_ts INTEGER);
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL,
     action TEXT NOT NULL, target TEXT NOT NULL, commune_id TEXT);`,
  // IOC feed (docs/ioc.md): API keys stored as SHA-256; the webhook outbox keeps every event until
  // the receiver answers 2xx; a cursor per webhook over state_intervals.id, so a crash between a
  // state change and its enqueue loses nothing.
  `CREATE TABLE api_keys (
     id INTEGER PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, hint TEXT NOT NULL,
     scopes TEXT NOT NULL, communes TEXT, created_ts INTEGER NOT NULL, last_used_ts INTEGER, revoked_ts INTEGER);
   CREATE TABLE ioc_outbox (
     id INTEGER PRIMARY KEY, webhook TEXT NOT NULL, event TEXT NOT NULL, event_id TEXT NOT NULL,
     body TEXT NOT NULL, created_ts INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_ts INTEGER NOT NULL, last_error TEXT, delivered_ts INTEGER);
   CREATE INDEX ioc_outbox_pending ON ioc_outbox (webhook, id) WHERE delivered_ts IS NULL;
   CREATE INDEX ioc_outbox_delivered ON ioc_outbox (delivered_ts) WHERE delivered_ts IS NOT NULL;
   CREATE TABLE ioc_cursors (webhook TEXT PRIMARY KEY, state_seq INTEGER NOT NULL);`,
  // External broker mode (docs/architecture.md, "Several ingest workers"): each commune is a shard
  // that one worker holds at a time through a lease; workers announce themselves so a newcomer
  // gets its share; the lease log keeps every handover. A run's scope is '' for the whole service
  // or a commune id, so a takeover closes intervals at that commune's last sign of life.
  `ALTER TABLE service_runs ADD COLUMN scope TEXT NOT NULL DEFAULT '';
   CREATE INDEX service_runs_scope ON service_runs (scope, id);
   CREATE TABLE shard_leases (commune_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_ts INTEGER NOT NULL);
   CREATE TABLE ingest_workers (
     worker_id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started_ts INTEGER NOT NULL,
     alive_ts INTEGER NOT NULL);
   CREATE TABLE shard_lease_log (
     id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, commune_id TEXT NOT NULL, owner TEXT NOT NULL,
     event TEXT NOT NULL, previous_owner TEXT, previous_expires_ts INTEGER);`,
  // Maintenance is durable state, not only the current interval: a restart or a takeover closes
  // every open interval (unknown / service-restart), and the engine puts these devices back in
  // maintenance after that gap. Devices already in maintenance when this runs keep it.
  `CREATE TABLE device_maintenance (
     device_id TEXT PRIMARY KEY, commune_id TEXT NOT NULL, set_by TEXT, set_ts INTEGER NOT NULL);
   INSERT INTO device_maintenance (device_id, commune_id, set_by, set_ts)
     SELECT device_id, commune_id, NULL, since_ts FROM device_status WHERE state = 'maintenance';`,
  // LoRaWAN link state per sensor (gateway/lorawan/link-health.ts) as JSON: the last frame counter,
  // its gaps and resets, the last uplink's radio, a frozen probe, recent joins. Saved after each
  // event, read at a sensor's first event after a restart (services/ingest/lorawan-links.ts).
  `CREATE TABLE lorawan_links (
     dev_eui TEXT PRIMARY KEY, device_id TEXT NOT NULL, commune_id TEXT NOT NULL, doc TEXT NOT NULL,
     updated_ts INTEGER NOT NULL);`,
  // Accounts (issue #17): the commune files say who exists and in which role; what the dashboard
  // changes is kept here. config_hash is the file's hash last taken, so a hash changed in the file
  // wins and one left alone keeps the password chosen in the dashboard. must_change: a generated or
  // reset password, usable only to choose a new one. Maintenance gets a reason and a planned end
  // (ended by the engine, also after a restart) and plans that start later; audit rows a detail.
  `ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE users ADD COLUMN config_hash TEXT;
   ALTER TABLE users ADD COLUMN locked_ts INTEGER;
   ALTER TABLE users ADD COLUMN locked_by TEXT;
   ALTER TABLE users ADD COLUMN password_changed_ts INTEGER;
   ALTER TABLE device_maintenance ADD COLUMN reason TEXT;
   ALTER TABLE device_maintenance ADD COLUMN until_ts INTEGER;
   CREATE TABLE maintenance_plans (
     id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, commune_id TEXT NOT NULL, start_ts INTEGER NOT NULL,
     until_ts INTEGER NOT NULL, reason TEXT NOT NULL, set_by TEXT NOT NULL, set_ts INTEGER NOT NULL);
   CREATE INDEX maintenance_plans_start ON maintenance_plans (start_ts);
   ALTER TABLE audit_log ADD COLUMN detail TEXT;
   CREATE INDEX audit_log_ts ON audit_log (ts);`,
  // Alerts (issue #14): one row per episode (rule + device + since), unique by `key` so a restart
  // or a second look never opens it twice; a cursor over state_intervals.id; the notification
  // outbox, where a message is a row before the alert counts as sent and keeps the provider's receipt.
  `CREATE TABLE alerts (
     id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, commune_id TEXT NOT NULL, rule_id TEXT NOT NULL,
     kind TEXT NOT NULL, severity TEXT NOT NULL, device_id TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,
     params TEXT, since_ts INTEGER NOT NULL, status TEXT NOT NULL, opened_ts INTEGER NOT NULL,
     behind TEXT NOT NULL DEFAULT '[]', step INTEGER NOT NULL DEFAULT 0, stepped_ts INTEGER NOT NULL,
     notified_ts INTEGER NOT NULL, repeats INTEGER NOT NULL DEFAULT 0, acked_by TEXT, acked_ts INTEGER,
     ack_note TEXT, ack_until_ts INTEGER, resolved_ts INTEGER, resolved_by TEXT, resolve_note TEXT);
   CREATE INDEX alerts_open ON alerts (status) WHERE status != 'resolved';
   CREATE INDEX alerts_device ON alerts (device_id, id);
   CREATE TABLE alert_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), state_seq INTEGER NOT NULL);
   CREATE TABLE notify_outbox (
     id INTEGER PRIMARY KEY, notifier TEXT NOT NULL, alert_id INTEGER NOT NULL, event TEXT NOT NULL,
     username TEXT, address TEXT NOT NULL, message TEXT NOT NULL, created_ts INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ts INTEGER NOT NULL, last_error TEXT,
     sent_ts INTEGER, receipt TEXT, dead_ts INTEGER);
   CREATE INDEX notify_outbox_pending ON notify_outbox (notifier, id) WHERE sent_ts IS NULL AND dead_ts IS NULL;
   CREATE INDEX notify_outbox_alert ON notify_outbox (alert_id);`,
  // Grouping by hamlet (issue #14): a first message about a hamlet's outage waits until the other
  // devices of the hamlet that went down with it are due too (at most alerts.hamletGroupSec); the
  // rows of one group and one recipient then leave as one message, each row keeping the receipt.
  `ALTER TABLE notify_outbox ADD COLUMN group_key TEXT;
   ALTER TABLE notify_outbox ADD COLUMN hold_until_ts INTEGER;`,
  // Maintenance windows, quiet hours and the daily digest (issue #14): windows with the started
  // occurrences (so a restart starts none twice), when an open alert's suppression began, until
  // when quiet hours hold a notification, and the digests queued (one per user and local day).
  `CREATE TABLE maintenance_windows (
     id INTEGER PRIMARY KEY, commune_id TEXT NOT NULL, config_id TEXT UNIQUE, scope_kind TEXT NOT NULL,
     scope_id TEXT NOT NULL, role TEXT NOT NULL, reason TEXT NOT NULL, schedule TEXT NOT NULL,
     created_by TEXT NOT NULL, created_ts INTEGER NOT NULL);
   CREATE TABLE maintenance_window_runs (
     window_id INTEGER NOT NULL, start_ts INTEGER NOT NULL, until_ts INTEGER NOT NULL,
     PRIMARY KEY (window_id, start_ts));
   ALTER TABLE alerts ADD COLUMN suppressed_since_ts INTEGER;
   ALTER TABLE notify_outbox ADD COLUMN held_until_ts INTEGER;
   CREATE TABLE alert_digests (
     commune_id TEXT NOT NULL, username TEXT NOT NULL, day TEXT NOT NULL, queued_ts INTEGER NOT NULL,
     PRIMARY KEY (commune_id, username, day));`,
  // A notifier's own durable values (services/notify/notifier-state.ts): Zalo's single-use refresh
  // token, rotated at each refresh, is written here before the access token it bought is used.
  `CREATE TABLE notifier_state (
     notifier TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_ts INTEGER NOT NULL,
     PRIMARY KEY (notifier, key));`,
];

/** The service's own database in its data folder: the one file the service and every CLI share (WAL). */
export function openServiceDb(config: { readonly paths: { readonly dataDir: string } }): Db {
  return openDb(join(config.paths.dataDir, 'canhxa.sqlite'));
}

export function openDb(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // First, so that several processes opening one file at once (ingest workers) wait, not fail.
  db.pragma('busy_timeout = 5000');
  // WAL lets the API read while ingest writes; NORMAL sync is durable across a process crash
  // (only an OS crash can lose the last transactions), which is the failure we must survive.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // 16 MiB of page cache: intervals, events, rejects and sessions. The readings, whose index
  // wants a large cache, have a file of their own (store/embedded/sqlite-store.ts).
  db.pragma('cache_size = -16384');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ts INTEGER NOT NULL)',
  );
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  MIGRATIONS.forEach((sql, i) => {
    if (done.has(i + 1)) return;
    // Under the write lock, checked again: another process opening the same file may have won.
    db.transaction(() => {
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(i + 1)) return;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_ts) VALUES (?, ?)').run(i + 1, Date.now());
    }).immediate();
  });
}
