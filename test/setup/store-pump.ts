import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriter } from '../../services/ingest/batch-writer.ts';
import { RejectLog } from '../../services/ingest/reject-log.ts';
import { Spool, type SpoolEntry } from '../../services/ingest/spool.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { type Db, openDb } from '../../services/store/db.ts';
import type { Store } from '../../services/store/store.ts';

export const T0 = 1_790_000_000_000;

/** Message i of a camera's seqNo stream, as ingest would spool it: one reading, value i, at T0 + i. */
export function seqEntry(i: number): SpoolEntry {
  return {
    receivedTs: T0 + i,
    topic: 'cx/v1/ta-lai/tl-cam-01/telemetry',
    clientId: 'tl-cam-01',
    payload: Buffer.from(`{"v":1,"ts":${T0 + i},"metrics":{"seqNo":${i}}}`),
    work: {
      readings: [{ communeId: 'ta-lai', deviceId: 'tl-cam-01', metric: 'seqNo', ts: T0 + i, value: i }],
      events: [],
    },
  };
}

export interface StorePump {
  readonly dir: string;
  readonly db: Db;
  readonly spool: Spool;
  readonly writer: BatchWriter;
  /** Spools seqEntry(i) as Ingest.accept does; the broker's acknowledgement is counted in `acked`. */
  accept(i: number): void;
  readonly acked: number[];
  /** Stops the writer and closes the spool and the main database (not the store). */
  close(): Promise<void>;
}

/** The spool and store pump of ingest, over `store`, in a temp folder of their own. */
export function storePump(store: Store, opts: { maxSize: number; maxDelayMs: number }): StorePump {
  const log = createLogger({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'cx-pump-'));
  const db = openDb(join(dir, 'canhxa.sqlite'));
  const spool = new Spool(join(dir, 'spool.sqlite'), { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
  spool.open();
  const writer = new BatchWriter(store, spool, db, new RejectLog(db, { kept: 100 }), {
    ...opts,
    log,
    clock: Date.now,
  });
  const acked: number[] = [];
  return {
    dir,
    db,
    spool,
    writer,
    acked,
    accept: (i) =>
      spool.appendGrouped(seqEntry(i), (durable) => {
        if (durable) writer.notify();
        else writer.holdInMemory(seqEntry(i).work);
        writer.admit(() => acked.push(i));
      }),
    close: async () => {
      await writer.stop();
      await spool.close();
      db.close();
    },
  };
}
