import { describe, expect, it } from 'vitest';
import type { KpiRun } from '../../services/kpi/evaluate.ts';
import { reportFormats } from '../../services/reports/formats/registry.ts';
import { buildReport } from '../../services/reports/report.ts';
import { buildCommune } from '../fixtures/mini-commune.ts';

const FROM = Date.parse('2026-03-01T00:00:00+07:00');
const TO = Date.parse('2026-04-01T00:00:00+07:00');

function report() {
  const c = buildCommune({
    name: 'Xã Tà Lài',
    hamlets: [{ id: 'ap-1', name: 'Ấp Hiệp Thành' }],
    devices: [{ id: 'loa-1', type: 'loudspeaker', name: 'Loa ấp Hiệp Thành' }],
  });
  const run: KpiRun = {
    communeId: c.commune.id,
    period: { fromTs: FROM, toTs: TO },
    nowTs: TO + 3_600_000,
    evidence: { 'loa-1': 'abc' },
    settingsHash: 'def',
    figures: [
      {
        targetId: 'k-loa',
        name: 'Tỷ lệ thời gian hoạt động của loa truyền thanh thông minh',
        indicator: 'uptime',
        params: { deviceType: 'loudspeaker' },
        unit: 'pct',
        better: 'higher',
        target: 95,
        targetPeriod: 'month',
        planRef: 'Mục II.1.a',
        status: 'on-track',
        rules: ['kpi.rule.maintenance'],
        value: 97.3,
        basis: { availableMs: 973, unavailableMs: 27 },
        rows: [
          {
            key: 'ap-1',
            label: 'Ấp Hiệp Thành',
            value: 97.3,
            basis: { availableMs: 973, unavailableMs: 27 },
          },
        ],
      },
    ],
  };
  return buildReport(c, run, { scheduleId: null, dueDate: null });
}

/** The contract of a report format (services/reports/formats/report-format.ts). */
export function reportFormatConformance(kind: string): void {
  describe(`report format ${kind}: conformance`, () => {
    const fmt = reportFormats.get(kind)!;

    it('is registered with an extension and a content type', () => {
      expect(fmt.kind).toBe(kind);
      expect(fmt.extension).toMatch(/^[a-z]+$/);
      expect(fmt.contentType).toMatch(/^[a-z]+\/[\w.+-]+/);
    });

    it('gives back, from its own bytes, the report and the figures it shows', async () => {
      const doc = report();
      const bytes = await fmt.render(doc, 'vi');
      const back = await fmt.extract(bytes);
      expect(back.doc).toEqual(doc);
      expect(back.shown).toEqual({ 'k-loa': 97.3 });
      // Vietnamese text survives the trip (NFC).
      expect(back.doc.figures[0]!.name).toBe('Tỷ lệ thời gian hoạt động của loa truyền thanh thông minh');
    }, 30_000);

    it('refuses bytes that are not its report', async () => {
      await expect(fmt.extract(Buffer.from('không phải báo cáo'))).rejects.toThrow();
    });
  });
}
