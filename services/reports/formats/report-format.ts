import type { Locale } from '../../shared/i18n/index.ts';
import type { Registered } from '../../shared/registry.ts';
import type { ReportDoc } from '../report.ts';

/** What a report file says about itself, read back from its bytes. */
export interface ExtractedReport {
  /** The report as embedded in the file (its figures, evidence and stated hash). */
  readonly doc: ReportDoc;
  /**
   * The figures as a person sees them in the file (a sheet's cells, a CSV's rows), by target id;
   * for a format whose visible text cannot be read back reliably (PDF), the embedded ones.
   */
  readonly shown: Readonly<Record<string, number | null>>;
}

/**
 * One report file format. `render` is pure (the report and a locale in, bytes out); `extract`
 * reads what `render` wrote and throws only on a file that is not such a report.
 */
export interface ReportFormat extends Registered {
  /** File extension without the dot, and the MIME type served with it. */
  readonly extension: string;
  readonly contentType: string;
  render(report: ReportDoc, locale: Locale): Promise<Buffer>;
  extract(file: Buffer): Promise<ExtractedReport>;
}
