/**
 * KPIs up to the province as data (issue #16 item 5): each commune's KPIs at the daily cut-off
 * pushed once through the IOC outbox to a real signed-webhook receiver, read back by API key, and
 * devices, alerts and KPIs as NGSI-LD Smart Data Models entities. Never a camera's id, name or position.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutoffOn, isoDay } from '../../services/ioc/kpis.ts';
import { NGSI_LD_CONTEXTS } from '../../services/ioc/ngsi-ld.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../services/ioc/signature.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';

const SECRET = 'kpi-secret-0123456789abcdef0123456789abcdef';
/** The service's clock sits one hour after today's 17:00 cut-off (Vietnam), whatever the real time. */
const SHIFT = cutoffOn(Date.now(), '17:00') + 3_600_000 - Date.now();
const clock = () => Date.now() + SHIFT;
const DAY = isoDay(cutoffOn(clock(), '17:00') - 1);

interface KpiEvent {
  id: string;
  event: string;
  data: { communeId: string; day: string; cutoffTs: number; kpis: Array<Record<string, unknown>> };
}
const got: KpiEvent[] = [];
const texts: string[] = [];
let server: Server;
let app: TestApp;
let dataDir: string;
let key: string;
let summariesOnly: string;
let cameraWords: string[] = [];

async function start(port: number) {
  app = await startTestApp({
    dataDir,
    clock,
    extra: [
      'ioc:',
      '  summaryIntervalSec: 3600',
      '  retryBaseMs: 50',
      '  retryMaxMs: 300',
      '  kpiCutoff: "17:00"',
      '  webhooks:',
      `    - { name: ioc-kpi, url: "http://127.0.0.1:${port}/hook", secret: "${SECRET}", events: [kpi] }`,
    ].join('\n'),
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (!verifySignature(SECRET, raw, req.headers[SIGNATURE_HEADER.toLowerCase()] as string)) {
        res.writeHead(401).end();
        return;
      }
      texts.push(raw);
      got.push(JSON.parse(raw) as KpiEvent);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  dataDir = mkdtempSync(join(tmpdir(), 'cx-ioc-kpi-'));
  await start((server.address() as AddressInfo).port);
  key = app.apiKeys.create({ name: 'IOC Đồng Nai', scopes: ['summaries', 'states'] }).key;
  summariesOnly = app.apiKeys.create({ name: 'Sở TT&TT', scopes: ['summaries'] }).key;
  const cameras = [...app.directory.all()].filter((d) => d.type.kind === 'camera');
  cameraWords = cameras.flatMap((d) => [d.id, d.name]);
  expect(cameras.length).toBeGreaterThan(0);
}, 180_000);

afterAll(async () => {
  await app?.stop();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function get(path: string, k: string) {
  const res = await fetch(`${app.apiUrl}/api/ioc/v1${path}`, { headers: { authorization: `Bearer ${k}` } });
  const text = await res.text();
  texts.push(text);
  return { status: res.status, type: res.headers.get('content-type'), text, json: () => JSON.parse(text) };
}

describe('IOC: KPIs against targets at the daily cut-off', () => {
  it('pushes each commune’s KPIs of the day once, through the signed outbox, with the day and the period so far', async () => {
    await waitFor(
      () => new Set(got.map((e) => e.data.communeId)).size === 2,
      'kpi events of both communes',
      60_000,
    );
    expect(got.map((e) => e.id).sort()).toEqual([`kpi:loc-tan:${DAY}`, `kpi:ta-lai:${DAY}`]);
    const tl = got.find((e) => e.data.communeId === 'ta-lai')!;
    expect(tl.event).toBe('kpi');
    expect(tl.data.day).toBe(DAY);
    expect(tl.data.cutoffTs).toBe(cutoffOn(clock(), '17:00'));
    const cam = tl.data.kpis.find((k) => k.targetId === 'tl-kpi-camera-uptime')!;
    expect(cam).toMatchObject({ indicator: 'uptime', target: 98, period: 'month' });
    expect(Object.keys(cam).sort()).toEqual(
      [
        'better',
        'day',
        'indicator',
        'name',
        'period',
        'periodSoFar',
        'planRef',
        'target',
        'targetId',
        'unit',
      ].sort(),
    );
    expect(cam.periodSoFar).toMatchObject({ toTs: tl.data.cutoffTs });
  }, 90_000);

  it('reads the same figures by API key (scope summaries), refuses a key without it', async () => {
    const r = await get('/kpis', summariesOnly);
    expect(r.status).toBe(200);
    const tl = r.json().communes.find((c: { communeId: string }) => c.communeId === 'ta-lai');
    expect(tl.day).toBe(DAY);
    const pushed = got.find((e) => e.data.communeId === 'ta-lai')!.data;
    expect(tl.kpis.map((k: { targetId: string }) => k.targetId)).toEqual(pushed.kpis.map((k) => k.targetId));
    const statesOnly = app.apiKeys.create({ name: 'states', scopes: ['states'] }).key;
    expect((await get('/kpis', statesOnly)).status).toBe(403);
    expect((await get('/kpis?day=2026-13-45', key)).status).toBe(400);
  }, 60_000);

  it('NGSI-LD: Device, Alert and KeyPerformanceIndicator entities as application/ld+json with their @context URLs', async () => {
    const devices = await get('/ngsi-ld/entities?type=Device', key);
    expect(devices.status).toBe(200);
    expect(devices.type).toMatch(/^application\/ld\+json/);
    const ds = devices.json() as Array<{
      type: string;
      '@context': unknown;
      id: string;
      location: { type: string };
      deviceState: { type: string };
    }>;
    expect(ds.length).toBeGreaterThan(0);
    for (const d of ds) {
      expect(d.type).toBe('Device');
      expect(d['@context']).toEqual(NGSI_LD_CONTEXTS.Device);
      expect(d.id).toMatch(/^urn:ngsi-ld:Device:(ta-lai|loc-tan):/);
      expect(d.location.type).toBe('GeoProperty');
      expect(d.deviceState.type).toBe('Property');
    }
    const kpis = (await get('/ngsi-ld/entities?type=KeyPerformanceIndicator&communeId=ta-lai', key)).json();
    const cam = kpis.find(
      (e: { id: string }) => e.id === 'urn:ngsi-ld:KeyPerformanceIndicator:ta-lai:tl-kpi-camera-uptime',
    );
    expect(cam['@context']).toEqual(NGSI_LD_CONTEXTS.KeyPerformanceIndicator);
    expect(cam).toMatchObject({ type: 'KeyPerformanceIndicator', calculationFrequency: { value: 'daily' } });
    expect(cam.calculationPeriod.value.from).toMatch(/^\d{4}-\d{2}-01$/);
    expect(cam.location).toBeUndefined();
    const alerts = await get('/ngsi-ld/entities?type=Alert', key);
    expect(alerts.status).toBe(200);
    for (const a of alerts.json()) expect(a['@context']).toEqual(NGSI_LD_CONTEXTS.Alert);
    expect((await get('/ngsi-ld/entities?type=Camera', key)).status).toBe(400);
  }, 60_000);

  it('after a restart past the cut-off, sends nothing twice', async () => {
    const port = (server.address() as AddressInfo).port;
    await app.stop();
    await start(port);
    // The feed has looked at the outbox once it delivers anything; it has nothing new to deliver.
    await waitFor(() => app.ioc.stats()[0]!.deliveredKept === 2, 'the outbox read after the restart', 60_000);
    expect(app.db.prepare("SELECT COUNT(*) AS n FROM ioc_outbox WHERE event = 'kpi'").get()).toEqual({
      n: 2,
    });
    expect(got.length).toBe(2);
  }, 180_000);

  it('no camera id, name or position in any pushed or served text', () => {
    expect(texts.length).toBeGreaterThan(4);
    for (const t of texts) for (const w of cameraWords) expect(t, w).not.toContain(w);
  });
});
