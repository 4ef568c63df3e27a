import type { LinkStatePersistence, LorawanSensor } from '../../gateway/lorawan/decoder.ts';
import { type LinkState, reviveLinkState } from '../../gateway/lorawan/link-health.ts';
import type { Db } from '../store/db.ts';

/**
 * LoRaWAN link states in the relational store (table lorawan_links), so a restart keeps each
 * sensor's frame counter (a frame resent across the restart is still a duplicate), its lost-uplink
 * window, resets, last radio and a frozen probe's start. A save is one upsert of a small row in
 * WAL mode; a crash between it and the spool append at worst counts one frame as seen.
 */
export class SqliteLinkStates implements LinkStatePersistence {
  private readonly select;
  private readonly upsert;

  constructor(db: Db) {
    this.select = db.prepare('SELECT doc FROM lorawan_links WHERE dev_eui = ?').pluck();
    this.upsert = db.prepare(
      `INSERT INTO lorawan_links (dev_eui, device_id, commune_id, doc, updated_ts) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (dev_eui) DO UPDATE SET device_id = excluded.device_id, commune_id = excluded.commune_id,
         doc = excluded.doc, updated_ts = excluded.updated_ts`,
    );
  }

  load(devEui: string): LinkState | undefined {
    const doc = this.select.get(devEui) as string | undefined;
    return doc === undefined ? undefined : revive(doc);
  }

  save(sensor: LorawanSensor, state: LinkState): void {
    this.upsert.run(sensor.devEui, sensor.deviceId, sensor.communeId, JSON.stringify(state), Date.now());
  }
}

/** Every saved link state by device id, for the API (read-only: the ingest process writes them). */
export function linkStatesByDevice(db: Db): Map<string, LinkState> {
  const rows = db.prepare('SELECT device_id AS deviceId, doc FROM lorawan_links').all() as Array<{
    deviceId: string;
    doc: string;
  }>;
  const out = new Map<string, LinkState>();
  for (const r of rows) out.set(r.deviceId, revive(r.doc));
  return out;
}

/** A row damaged by hand (not JSON) gives a fresh state, as a sensor had before states were kept. */
function revive(doc: string): LinkState {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(doc);
  } catch (_err) {
    parsed = null;
  }
  return reviveLinkState(parsed);
}
