/**
 * Report bench (issue #16): 500 devices with a year of intervals (one in twenty flapping: thousands
 * of intervals each), then the monthly (December) and the yearly report in each
 * format. Each (period, format) runs in a process of its own (report-worker.ts), so its peak RSS
 * is its own: time to compute the figures (with the 12-month trend and the appendix), time to
 * render, file size, and peak RSS above the process's RSS once loaded. Aim: < 1 s per monthly report.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommuneFile } from '../../config/schema/commune.ts';
import { IntervalLog } from '../../services/availability/interval-log.ts';
import type { DeviceState } from '../../services/availability/states.ts';
import { openDb } from '../../services/store/db.ts';
import { buildCommune } from '../fixtures/mini-commune.ts';
import { prng } from '../setup/helpers.ts';
import { type Figure, fmtMB, track } from './harness.ts';

export const DEVICES = 500;
export const YEAR_FROM = Date.parse('2026-01-01T00:00:00+07:00');
export const YEAR_TO = Date.parse('2027-01-01T00:00:00+07:00');
const HAMLETS = 20;
const TYPES = ['uplink', 'loudspeaker', 'loudspeaker', 'wifi-ap', 'camera'] as const;

/** The bench commune: 20 hamlets, a community house and a key point each, 500 devices over them. */
export function benchCommune(): CommuneFile {
  const hamlets = Array.from({ length: HAMLETS }, (_, i) => ({
    id: `ap-${i}`,
    name: `Ấp ${i + 1}`,
    population: 800 + i * 37,
  }));
  const sites = hamlets.flatMap((h, i) => [
    {
      id: `nvh-${i}`,
      name: `Nhà văn hóa ${h.name}`,
      kind: 'cultural-house',
      hamlet: h.id,
      uplink: `line-${i}`,
    },
    { id: `diem-${i}`, name: `Ngã ba ${h.name}`, kind: 'key-point', hamlet: h.id, uplink: `line-${i}` },
  ]);
  const devices = Array.from({ length: DEVICES }, (_, k) => {
    const i = k % HAMLETS;
    const type = k < HAMLETS ? 'uplink' : TYPES[k % TYPES.length]!;
    const site = type === 'camera' ? `diem-${i}` : `nvh-${i}`;
    return {
      id: k < HAMLETS ? `line-${i}` : `${type}-${k}`,
      type,
      name: `${type} ${k}`,
      site,
      installedAt: '2025-12-01',
      contractor: k % 3 === 0 ? 'VNPT Đồng Nai' : 'Viettel Đồng Nai',
    };
  });
  const t = (id: string, indicator: string, params: Record<string, unknown>, target: number) => ({
    id,
    name: `Chỉ tiêu ${id}`,
    indicator,
    params,
    target,
    period: 'month',
  });
  return buildCommune({
    id: 'bench',
    name: 'Xã Thử Tải',
    hamlets,
    sites,
    devices,
    extra: {
      broadcasts: [{ id: 'sang', name: 'Bản tin sáng', at: '06:00', days: 'daily', durationMin: 30 }],
      kpi: { serviceHours: { 'wifi-ap': [{ from: '06:00', to: '22:00' }], loudspeaker: 'broadcasts' } },
      kpiTargets: [
        t('k-all', 'uptime', { groupBy: 'hamlet' }, 98),
        t('k-line', 'uptime', { deviceType: 'uplink', groupBy: 'contractor' }, 99),
        t('k-loa', 'hamlet-coverage', { minPct: 90 }, 100),
        t('k-wifi', 'site-coverage', { deviceType: 'wifi-ap', siteKinds: ['cultural-house'] }, 100),
        t('k-cam', 'camera-untampered', {}, 95),
        t('k-n', 'outage-count', { deviceType: 'uplink' }, 20),
        t('k-mttr', 'mttr', {}, 120),
        t('k-long', 'longest-outage', {}, 480),
      ],
    },
  });
}

/** A year of intervals: each device a few outages a month; every twentieth has spells of flapping every ~20 min for days. */
export function writeYear(c: CommuneFile, file: string): number {
  const db = openDb(file);
  const log = new IntervalLog(db);
  const r = prng(16);
  let n = 0;
  db.transaction(() => {
    c.devices.forEach((d, k) => {
      const flapping = k % 20 === 5;
      const at = (state: DeviceState, ts: number, reason = 'heartbeat') => {
        log.transition({
          deviceId: d.id,
          communeId: c.commune.id,
          state,
          reason,
          params: {},
          ts,
          lastHeardTs: null,
        });
        n++;
      };
      at('up', YEAR_FROM - 86_400_000);
      for (let t = YEAR_FROM; t < YEAR_TO; ) {
        t += Math.floor(r() * 10 * 86_400_000);
        if (t >= YEAR_TO) break;
        if (flapping && r() < 0.25) {
          // A flapping spell: down and up every 5–35 min for up to 4 days.
          const end = t + Math.floor(r() * 4 * 86_400_000);
          for (; t < end && t < YEAR_TO; t += 300_000 + Math.floor(r() * 1_800_000))
            at(n % 2 ? 'down' : 'up', t);
          at('up', t);
          continue;
        }
        const bad: DeviceState =
          d.type === 'camera' && r() < 0.3 ? 'degraded' : r() < 0.1 ? 'maintenance' : 'down';
        at(
          bad,
          t,
          bad === 'degraded' ? 'camera-covered' : bad === 'maintenance' ? 'maintenance' : 'heartbeat',
        );
        t += 60_000 + Math.floor(r() * 6 * 3_600_000);
        at('up', t);
      }
    });
  })();
  db.close();
  return n;
}

interface WorkerResult {
  computeMs: number;
  renderMs: number;
  computeCpuMs: number;
  renderCpuMs: number;
  bytes: number;
  baseRssKB: number;
  maxRssKB: number;
}

function runWorker(file: string, period: string, format: string, cold = false): Promise<WorkerResult> {
  const child = track(
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'report-worker.ts'),
        file,
        period,
        format,
        ...(cold ? ['cold'] : []),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!))
        : reject(new Error(`report worker exited ${code}`)),
    ),
  );
}

export async function benchReports(): Promise<{ figures: Figure[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'cx-report-bench-'));
  try {
    const file = join(dir, 'canhxa.sqlite');
    const t0 = performance.now();
    const intervals = writeYear(benchCommune(), file);
    console.log(
      `  ${DEVICES} devices, ${intervals.toLocaleString('en-US')} transitions over 2026 (${((performance.now() - t0) / 1000).toFixed(1)} s to write)`,
    );
    const figures: Figure[] = [];
    // The first monthly report finds no closed month in the trend cache (a new service, or the
    // first report after the engine's version changed) and counts all twelve; the rest find them,
    // as every monthly report after the first does.
    const runs = [
      { period: 'month', format: 'pdf', cold: true },
      ...(['month', 'year'] as const).flatMap((period) =>
        ['pdf', 'xlsx', 'csv'].map((format) => ({ period, format, cold: false })),
      ),
    ];
    for (const { period, format, cold } of runs) {
      const w = await runWorker(file, period, format, cold);
      const total = w.computeMs + w.renderMs;
      const line = `${period === 'month' ? 'monthly (12/2026)' : 'yearly (2026)'} ${format.toUpperCase()}${cold ? ' (trend cache empty)' : ''}`;
      const value = `${(total / 1000).toFixed(2)} s`;
      const note = `compute ${w.computeMs.toFixed(0)} ms + render ${w.renderMs.toFixed(0)} ms wall, CPU ${w.computeCpuMs.toFixed(0)} + ${w.renderCpuMs.toFixed(0)} ms; ${fmtMB(w.bytes)}; peak RSS ${fmtMB(w.maxRssKB * 1024)} (+${fmtMB((w.maxRssKB - w.baseRssKB) * 1024)} over loaded)${period === 'month' ? `; aim < 1 s` : ''}`;
      console.log(`  ${line}: ${value} (${note})`);
      figures.push({ scenario: 'reports', name: line, value, note });
    }
    return { figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
