import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportFormat } from './formats/report-format.ts';
import { type ReportDoc, reportId } from './report.ts';

/** One archived report file, as listed. */
export interface ArchivedReport {
  /** `<report id>.<extension>`: unique, also the download name. */
  readonly file: string;
  readonly reportId: string;
  readonly communeId: string;
  readonly format: string;
  readonly fromTs: number;
  readonly toTs: number;
  readonly periodLabel: string;
  readonly nowTs: number;
  readonly scheduleId: string | null;
  readonly dueDate: string | null;
  readonly contentHash: string;
  /** sha256 of the file's bytes: a copy that differs in any byte is not this file. */
  readonly fileSha256: string;
  readonly bytes: number;
  readonly createdTs: number;
}

/**
 * Reports kept in the data folder (`reports/<commune>/`), each file beside a JSON card that lists
 * it. Files are written to a temporary name and renamed, so a crash never leaves half a report
 * listed. Kept for ever, like the intervals they were computed from.
 */
export class ReportArchive {
  constructor(private readonly dir: string) {}

  save(doc: ReportDoc, format: ReportFormat, bytes: Buffer, createdTs: number): ArchivedReport {
    const dir = join(this.dir, doc.communeId);
    mkdirSync(dir, { recursive: true });
    const id = reportId(doc);
    const file = `${id}.${format.extension}`;
    const card: ArchivedReport = {
      file,
      reportId: id,
      communeId: doc.communeId,
      format: format.kind,
      fromTs: doc.fromTs,
      toTs: doc.toTs,
      periodLabel: doc.periodLabel,
      nowTs: doc.nowTs,
      scheduleId: doc.scheduleId,
      dueDate: doc.dueDate,
      contentHash: doc.contentHash,
      fileSha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      createdTs,
    };
    writeAtomic(join(dir, file), bytes);
    writeAtomic(join(dir, `${file}.json`), Buffer.from(JSON.stringify(card, null, 2)));
    return card;
  }

  /** Every archived report of the communes, newest period first. */
  list(communeIds: readonly string[]): ArchivedReport[] {
    const out: ArchivedReport[] = [];
    for (const c of communeIds) {
      let names: string[] = [];
      try {
        names = readdirSync(join(this.dir, c));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const n of names)
        if (n.endsWith('.json'))
          out.push(JSON.parse(readFileSync(join(this.dir, c, n), 'utf8')) as ArchivedReport);
    }
    return out.sort(
      (a, b) => b.fromTs - a.fromTs || b.createdTs - a.createdTs || a.file.localeCompare(b.file),
    );
  }

  find(communeIds: readonly string[], file: string): ArchivedReport | undefined {
    return this.list(communeIds).find((r) => r.file === file);
  }

  read(card: ArchivedReport): Buffer {
    return readFileSync(join(this.dir, card.communeId, card.file));
  }

  /** The archived report whose file has exactly these bytes, if any. */
  byBytes(communeIds: readonly string[], bytes: Buffer): ArchivedReport | undefined {
    const sha = createHash('sha256').update(bytes).digest('hex');
    return this.list(communeIds).find((r) => r.fileSha256 === sha);
  }
}

function writeAtomic(path: string, bytes: Buffer): void {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}
