import { defineRegistry } from '../../shared/registry.ts';
import { csv } from './csv.ts';
import { pdf } from './pdf.ts';
import type { ReportFormat } from './report-format.ts';
import { xlsx } from './xlsx.ts';

/** Every report file format; one file each. */
export const REPORT_FORMATS: readonly ReportFormat[] = [pdf, xlsx, csv];

export const reportFormats = defineRegistry('report format', REPORT_FORMATS);
