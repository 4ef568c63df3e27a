/**
 * The probe runtime inside the service process beside the MQTT load (`npm run bench -- --only
 * probes`, after the runtime-alone figures of probes.ts): the bench commune gains `probed` devices
 * whose `probe` looks at loopback targets served by this process (TCP listeners and HTTP pages,
 * 5 % a server that accepts and never answers, so those runs last until their timeout), the
 * service's built-in gateway probes them, and the e2e load generators send QoS 1 at a fixed rate
 * meanwhile. Probes/min and scheduling lag come from the gateway's own health reports (its
 * telemetry, GATEWAY_HEALTH), as the API shows them; CPU and RSS are the whole service process's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { embeddedGatewayId } from '../../config/probe-targets.ts';
import { GATEWAY_HEALTH } from '../../services/protocol/metrics.ts';
import { httpServer, silentServer, tcpListener } from '../standins/probe-targets.ts';
import {
  benchDevices,
  COMMUNE_ID,
  connectAll,
  type Figure,
  fmtInt,
  fmtMB,
  fmtMs,
  fmtPct,
  type Generator,
  runServicePhase,
  sleep,
  sqliteAll,
  startBenchService,
  startGenerators,
  writeBenchService,
} from './harness.ts';

export const PROBES_SERVICE_DEFAULTS = {
  /** MQTT devices sending the load. */
  devices: 400,
  generators: 3,
  ratePerSec: 1000,
  probed: 1100,
  intervalSec: 30,
  hangingShare: 0.05,
  timeoutMs: 5000,
  concurrency: 64,
  /** First runs fall at random points of the first interval: by then every target has run. */
  warmupMs: 35_000,
  measureMs: 60_000,
};

interface Health {
  readonly ts: number;
  readonly runs: number;
  readonly p50: number;
  readonly p99: number;
  readonly buffered: number;
}

/** The gateway's last health report in the store (readings.sqlite), read as the API reads it. */
function lastHealth(dataDir: string): Health | undefined {
  const gw = embeddedGatewayId(COMMUNE_ID);
  const rows = sqliteAll<{ metric: string; ts: number; value: number }>(
    join(dataDir, 'readings.sqlite'),
    `SELECT metric, ts, value FROM readings WHERE device_id = '${gw}' AND ts = (SELECT MAX(ts) FROM readings WHERE device_id = '${gw}' AND metric = '${GATEWAY_HEALTH.runs}')`,
  );
  const v = (m: string) => rows.find((r) => r.metric === m)?.value;
  const runs = v(GATEWAY_HEALTH.runs);
  if (runs === undefined) return undefined;
  return {
    ts: rows[0]!.ts,
    runs,
    p50: v(GATEWAY_HEALTH.lagP50Ms) ?? Number.NaN,
    p99: v(GATEWAY_HEALTH.lagP99Ms) ?? Number.NaN,
    buffered: v(GATEWAY_HEALTH.buffered) ?? Number.NaN,
  };
}

export async function benchProbesInService(o = PROBES_SERVICE_DEFAULTS): Promise<{ figures: Figure[] }> {
  const [tcpA, web, hang] = await Promise.all([
    tcpListener(),
    httpServer((_q, res) => res.end('<title>Trạm y tế xã</title>')),
    silentServer(),
  ]);
  const svcFiles = writeBenchService(
    o.devices,
    `gateway: { concurrency: ${o.concurrency}, heartbeatSec: 5 }\ningest: { batchMaxDelayMs: 50 }`,
  );
  // The bench commune is JSON (JSON is YAML): add the probed devices to it.
  const communeFile = join(svcFiles.dir, 'communes', 'bench.yaml');
  const commune = JSON.parse(readFileSync(communeFile, 'utf8')) as {
    devices: object[];
    sites: { id: string }[];
  };
  const hanging = Math.round(o.probed * o.hangingShare);
  for (let i = 0; i < o.probed; i++) {
    const probe =
      i < hanging
        ? { kind: 'http', config: { url: `http://127.0.0.1:${hang.port}/` } }
        : i % 2 === 0
          ? { kind: 'http', config: { url: `http://127.0.0.1:${web.port}/`, bodyMatch: 'Trạm' } }
          : { kind: 'tcp', config: { host: '127.0.0.1', port: tcpA.port } };
    commune.devices.push({
      id: `b-probed-${String(i + 1).padStart(5, '0')}`,
      type: 'wifi-ap',
      name: `Điểm phát thử ${i + 1}`,
      site: commune.sites[i % commune.sites.length]!.id,
      installedAt: '2025-01-01',
      probe: { ...probe, intervalSec: o.intervalSec, timeoutMs: o.timeoutMs, retries: 0, confirmations: 3 },
    });
  }
  writeFileSync(communeFile, JSON.stringify(commune));
  let gens: Generator[] = [];
  const service = await startBenchService(svcFiles);
  try {
    console.log(
      `  service with ${o.probed} probed targets every ${o.intervalSec} s (${hanging} hanging until ${o.timeoutMs} ms, ` +
        `concurrency ${o.concurrency}; target ${fmtInt((o.probed * 60) / o.intervalSec)} probes/min) beside ` +
        `${o.devices} MQTT devices at ${fmtInt(o.ratePerSec)} msg/s QoS 1`,
    );
    gens = await startGenerators(o.generators);
    const mqttDevices = benchDevices(svcFiles).filter((d) => !d.id.startsWith('b-probed-'));
    await connectAll(gens, service.mqttUrl, mqttDevices);
    await sleep(Math.max(0, o.warmupMs - 5000));
    const spoolFile = join(svcFiles.dataDir, 'spool', 'spool.sqlite');
    const phaseP = runServicePhase(
      service,
      spoolFile,
      gens,
      { qos: 1, window: 10, ratePerSec: o.ratePerSec, warmupMs: 5000, measureMs: o.measureMs },
      0,
    );
    await sleep(5300);
    const h0 = lastHealth(svcFiles.dataDir);
    const phase = await phaseP;
    const h1 = lastHealth(svcFiles.dataDir);
    const perMin = h0 && h1 && h1.ts > h0.ts ? ((h1.runs - h0.runs) * 60_000) / (h1.ts - h0.ts) : Number.NaN;
    const s = 'probes';
    const figures: Figure[] = [
      {
        scenario: s,
        name: 'in the service beside MQTT: probes/min',
        value: fmtInt(perMin),
        note: `${o.probed} targets, 5 % hanging; ${fmtInt(o.ratePerSec)} msg/s QoS 1 beside`,
      },
      {
        scenario: s,
        name: 'in the service beside MQTT: scheduling lag p50 / p99',
        value: h1 ? `${fmtMs(h1.p50)} / ${fmtMs(h1.p99)}` : 'n/a',
        note: "the gateway's last health report (last 4,096 runs)",
      },
      {
        scenario: s,
        name: 'in the service beside MQTT: service CPU / RSS peak',
        value: `${fmtPct(phase.svcCpuPct)} / ${fmtMB(phase.svcRssPeakBytes)}`,
        // A busy machine starves the service: say how busy it was, or the figures mislead.
        note: `100 % = one core; whole service process; machine load average ${loadavg()[0]!.toFixed(1)}`,
      },
      {
        scenario: s,
        name: 'in the service beside MQTT: MQTT stored msg/s, publish→stored p99',
        value: `${fmtInt(phase.stored.storedPerSec)} / ${fmtMs(phase.stored.p99)}`,
        note: `gateway buffer at the end ${h1 ? fmtInt(h1.buffered) : 'n/a'}`,
      },
    ];
    for (const f of figures) console.log(`  ${f.name}: ${f.value}${f.note ? ` (${f.note})` : ''}`);
    return { figures };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
    await service.stop();
    await Promise.all([tcpA.close(), web.close(), hang.close()]);
    svcFiles.remove();
  }
}
