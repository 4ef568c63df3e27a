import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_COMMUNES_DIR } from '../setup/app.ts';
import { type RunningMosquitto, startMosquitto } from '../setup/mosquitto.ts';
import { readDeviceSecrets, type ServiceProcess, startServiceProcess } from '../setup/service-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'cx-external-'));
const dataDir = join(dir, 'data');
const communesDir = join(dir, 'communes');
/**
 * A worker whose event loop stalls past its lease loses it (by design: fencing). On a loaded 2-core
 * machine (three workers, mosquitto and the test beside other suites) 2 s stalls happened, and
 * leases kept changing hands before the workers ever settled one commune each.
 */
const LEASE_TTL_MS = 5000;
let broker: RunningMosquitto | undefined;
const workers: ServiceProcess[] = [];

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A small commune: an uplink, a camera, and a gateway reporting for a soil sensor behind it. */
function smallCommune(id: string, prefix: string): string {
  return `commune: { id: ${id}, name: Xã ${id}, province: Đồng Nai, center: { lat: 11.37, lon: 107.37 } }
hamlets:
  - { id: ${prefix}-ap-01, name: Ấp 1 }
sites:
  - { id: ${prefix}-ubnd, name: Trụ sở UBND xã, kind: ubnd, hamlet: ${prefix}-ap-01, location: { lat: 11.378, lon: 107.372 }, uplink: ${prefix}-net }
devices:
  - { id: ${prefix}-net, type: uplink, name: Đường truyền UBND, site: ${prefix}-ubnd, installedAt: 2026-01-05 }
  - { id: ${prefix}-cam-01, type: camera, name: Camera cổng UBND, site: ${prefix}-ubnd, installedAt: 2026-01-05 }
  - { id: ${prefix}-gw-01, type: gateway, name: Gateway LoRa, site: ${prefix}-ubnd, installedAt: 2026-01-05 }
  - { id: ${prefix}-soil-01, type: soil-sensor, name: Cảm biến độ ẩm đất, site: ${prefix}-ubnd, installedAt: 2026-01-05, behind: ${prefix}-gw-01 }
users:
  - { username: quantri.${id}, name: Quản trị viên, role: admin }
`;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) m.set(key(t), [...(m.get(key(t)) ?? []), t]);
  return m;
}

function openDb(file = 'canhxa.sqlite') {
  return new Database(join(dataDir, file), { readonly: true });
}

/** Waits for a state; the bound only says when to give up on a machine that is far too slow. */
async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Who holds which commune now (unexpired leases only). */
function holders(): Map<string, string> {
  const db = openDb();
  try {
    const rows = db
      .prepare("SELECT commune_id AS c, owner FROM shard_leases WHERE owner != '' AND expires_ts > ?")
      .all(Date.now()) as Array<{
      c: string;
      owner: string;
    }>;
    return new Map(rows.map((r) => [r.c, r.owner]));
  } finally {
    db.close();
  }
}

function workerIdOf(w: ServiceProcess): string {
  const m =
    /"workerId":"([^"]+)","mod":"external-source"/.exec(w.output()) ??
    /"workerId":"([^"]+)"/.exec(w.output());
  if (!m) throw new Error(`no workerId in output:\n${w.output()}`);
  return m[1]!;
}

describe('external broker mode: ingest workers on Debian mosquitto', () => {
  it('splits the communes, survives kill -9 and a stall of workers mid-stream, stores every acknowledged message once', async () => {
    // Three communes: the sample one and two small ones.
    mkdirSync(communesDir, { recursive: true });
    copyFileSync(join(SAMPLE_COMMUNES_DIR, 'ta-lai.yaml'), join(communesDir, 'ta-lai.yaml'));
    writeFileSync(join(communesDir, 'thu.yaml'), smallCommune('thu', 'th'));
    writeFileSync(join(communesDir, 'mau.yaml'), smallCommune('mau', 'mu'));
    const configFile = join(dir, 'canhxa.yaml');
    const writeConfig = (url: string) =>
      writeFileSync(
        configFile,
        [
          `dataDir: ${JSON.stringify(dataDir)}`,
          `communesDir: ${JSON.stringify(communesDir)}`,
          'api: { port: 0 }',
          'availability: { checkIntervalMs: 100, aliveIntervalMs: 300 }',
          'ingest:',
          '  source: external',
          '  batchMaxDelayMs: 1000',
          `  external: { url: ${JSON.stringify(url)}, username: canhxa-ingest, password: "ingest-Secret-42", leaseTtlMs: ${LEASE_TTL_MS} }`,
        ].join('\n'),
      );
    // The broker's port is known only once it runs, and it needs the generated files first.
    writeConfig('mqtt://127.0.0.1:1');
    execFileSync(
      process.execPath,
      ['--import', 'tsx', 'services/cli/mosquitto-config.ts', '--config', configFile],
      { cwd: ROOT },
    );
    const generated = readFileSync(join(dataDir, 'mosquitto', 'canhxa.conf'), 'utf8');
    expect(readFileSync(join(dataDir, 'mosquitto', 'passwd'), 'utf8')).toMatch(/^canhxa-ingest:\$7\$101\$/m);
    broker = await startMosquitto(join(dir, 'mosquitto'), generated);
    writeConfig(broker.url);

    // Three workers on one data folder, started together.
    workers.push(
      ...(await Promise.all([0, 1, 2].map(() => startServiceProcess(configFile, {}, 'services/worker.ts')))),
    );
    const ids = workers.map(workerIdOf);
    expect(new Set(ids).size).toBe(3);
    // Balanced: ceil(3 communes / 3 workers) = one each, and every shard subscribed.
    await waitFor('one commune per worker', () => {
      const h = holders();
      return h.size === 3 && new Set(h.values()).size === 3;
    });
    await waitFor(
      'three subscriptions',
      () =>
        workers.map((w) => w.output().split('"msg":"shard subscribed"').length - 1).reduce((a, b) => a + b) >=
        3,
    );

    // A steady QoS 1 stream from devices of every commune, as the devices would send it (MQTT 3.1.1).
    const secrets = readDeviceSecrets(dataDir);
    const publishers: Array<{ id: string; topicDevice: string; commune: string }> = [
      { id: 'tl-cam-01', topicDevice: 'tl-cam-01', commune: 'ta-lai' },
      { id: 'tl-loa-01', topicDevice: 'tl-loa-01', commune: 'ta-lai' },
      { id: 'tl-wifi-ubnd', topicDevice: 'tl-wifi-ubnd', commune: 'ta-lai' },
      { id: 'tl-cam-02', topicDevice: 'tl-cam-02', commune: 'ta-lai' },
      { id: 'tl-loa-02', topicDevice: 'tl-loa-02', commune: 'ta-lai' },
      { id: 'tl-wifi-tyt', topicDevice: 'tl-wifi-tyt', commune: 'ta-lai' },
      { id: 'th-cam-01', topicDevice: 'th-cam-01', commune: 'thu' },
      { id: 'th-gw-01', topicDevice: 'th-soil-01', commune: 'thu' },
      { id: 'mu-cam-01', topicDevice: 'mu-cam-01', commune: 'mau' },
      { id: 'mu-net', topicDevice: 'mu-net', commune: 'mau' },
    ];
    const acked: Array<[string, number]> = [];
    let publishing = true;
    const base = Date.now() - 600_000;
    const streams = publishers.map(async (p) => {
      const c = await mqtt.connectAsync(broker!.url, {
        clientId: p.id,
        username: p.id,
        password: secrets.get(p.id)!,
        protocolVersion: 4,
      });
      try {
        for (let i = 0; publishing; i++) {
          const ts = base + i;
          const prefix = `cx/v1/${p.commune}/${p.topicDevice}`;
          await c.publishAsync(`${prefix}/telemetry`, JSON.stringify({ v: 1, ts, metrics: { seqNo: i } }), {
            qos: 1,
          });
          acked.push([p.topicDevice, ts]);
          if (i % 20 === 0) await c.publishAsync(`${prefix}/heartbeat`, JSON.stringify({ v: 1 }), { qos: 1 });
          await new Promise((r) => setTimeout(r, 5));
        }
        // The broker's ACL (generated): a device may not publish for another one.
        if (p.id === 'th-cam-01')
          await c.publishAsync(
            'cx/v1/thu/th-net/telemetry',
            JSON.stringify({ v: 1, ts: base, metrics: { forged: 1 } }),
            { qos: 1 },
          );
      } finally {
        await c.endAsync();
      }
    });

    // Kill once the victim's commune is live, not after a fixed time: on a loaded machine 1.5 s was
    // not always enough for the holder to hear the camera, and a device still `unknown` at the
    // kill gets no service-restart gap. Live = the camera up, and the holder's run alive since.
    const victimRun = await waitFor('ta-lai held, its camera up and its holder alive since', () => {
      const db = openDb();
      try {
        const cam = db
          .prepare("SELECT state, since_ts AS since FROM device_status WHERE device_id = 'tl-cam-01'")
          .get() as { state: string; since: number } | undefined;
        const run = db
          .prepare(
            "SELECT id, alive_ts AS alive FROM service_runs WHERE scope = 'ta-lai' ORDER BY id DESC LIMIT 1",
          )
          .get() as { id: number; alive: number } | undefined;
        return (
          holders().has('ta-lai') &&
          acked.length >= 100 &&
          cam?.state === 'up' &&
          run &&
          run.alive > cam.since &&
          run
        );
      } finally {
        db.close();
      }
    });
    const before = holders();
    // The worker holding the busiest commune: its queue during the takeover is the largest.
    const victimId = before.get('ta-lai')!;
    const victim = workers[ids.indexOf(victimId)]!;
    const victimCommunes = [...before].filter(([, owner]) => owner === victimId).map(([c]) => c);
    expect(victimCommunes).toEqual(['ta-lai']);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const killTs = Date.now();
    // Keep publishing through the takeover: the dead worker's sessions queue in the broker.
    await waitFor('takeover', () => {
      const h = holders();
      return victimCommunes.every((c) => h.has(c) && h.get(c) !== victimId) && h;
    });
    await new Promise((r) => setTimeout(r, 1000));

    // Then a stall: the worker now holding ta-lai is paused past its leases (as a swapped-out or
    // frozen process would be). The last worker takes everything; when the stalled one wakes, its
    // fence and its lease round make it let go, and it gets a share back through a clean release.
    const stalledId = holders().get('ta-lai')!;
    const stalled = workers[ids.indexOf(stalledId)]!;
    const stalledCommunes = [...holders()].filter(([, owner]) => owner === stalledId).map(([c]) => c);
    stalled.child.kill('SIGSTOP');
    const stallTs = Date.now();
    await waitFor('takeover from the stalled worker', () => {
      const h = holders();
      return stalledCommunes.every((c) => h.has(c) && h.get(c) !== stalledId);
    });
    stalled.child.kill('SIGCONT');
    await waitFor(
      'the stalled worker back with a share',
      () => new Set(holders().values()).size === 2 && holders().size === 3,
    );
    await new Promise((r) => setTimeout(r, 1000));
    publishing = false;
    await Promise.all(streams);
    expect(acked.length).toBeGreaterThan(500);

    // Drained: every acknowledged reading reaches the store.
    const key = (d: string, ts: number) => `${d}@${ts}`;
    const want = new Set(acked.map(([d, ts]) => key(d, ts)));
    let storedSoFar = 0;
    await waitFor(
      'every acknowledged reading stored',
      () => {
        const db = openDb('readings.sqlite');
        storedSoFar = db
          .prepare("SELECT COUNT(*) FROM readings WHERE metric = 'seqNo'")
          .pluck()
          .get() as number;
        db.close();
        return storedSoFar >= want.size;
      },
      // A worker frozen inside a write holds the shared files' write lock: the others' store
      // writes fail meanwhile and retry with a backoff of up to 30 s once it is gone.
      120_000,
    ).catch((err: Error) => {
      // Say what is missing (per device, the first and last) and who held what, to tell a slow
      // drain from a loss.
      const readings = openDb('readings.sqlite');
      const stored = new Set(
        (
          readings.prepare("SELECT device_id AS d, ts FROM readings WHERE metric = 'seqNo'").all() as Array<{
            d: string;
            ts: number;
          }>
        ).map((r) => key(r.d, r.ts)),
      );
      readings.close();
      const missing = groupBy(
        acked.filter(([d, ts]) => !stored.has(key(d, ts))),
        ([d]) => d,
      );
      const db = openDb();
      const log = db.prepare('SELECT ts, commune_id, owner, event FROM shard_lease_log ORDER BY id').all();
      db.close();
      throw new Error(
        `${err.message}: ${storedSoFar} of ${want.size} stored; missing ${JSON.stringify(
          [...missing].map(([d, l]) => [d, l.length, l[0]![1] - base, l.at(-1)![1] - base]),
        )} (sequence numbers); kill ${killTs - base - 600_000} ms and stall ${stallTs - base - 600_000} ms after the first publish; lease log ${JSON.stringify(log)}`,
      );
    });
    const survivors = workers.filter((w) => w !== victim);
    expect(stalled.output()).toMatch(/"reason":"(lease-lost|fenced)","msg":"shard dropped"/);
    for (const w of survivors) w.child.kill('SIGTERM');
    for (const w of survivors) expect(await w.exited).toBe(0);

    const db = openDb();
    const readings = openDb('readings.sqlite');
    try {
      // Every acknowledged message stored exactly once (by key), nothing else.
      const rows = readings
        .prepare("SELECT device_id AS d, ts FROM readings WHERE metric = 'seqNo'")
        .all() as Array<{ d: string; ts: number }>;
      const stored = new Set(rows.map((r) => key(r.d, r.ts)));
      expect(stored.size).toBe(rows.length);
      expect([...want].filter((k) => !stored.has(k))).toEqual([]);
      expect(rows.length).toBe(want.size);
      expect(readings.prepare("SELECT COUNT(*) FROM readings WHERE metric = 'forged'").pluck().get()).toBe(0);

      // Leases: the survivors took the dead worker's commune after its lease ran out, and each
      // commune was held by one worker at a time: a take names a previous owner only when that
      // owner's lease had lapsed (here only the killed and the stalled worker's could), and the
      // stalled worker learnt it had lost its shards only after they were taken.
      const log = db
        .prepare(
          'SELECT ts, commune_id AS c, owner, event, previous_owner AS prev, previous_expires_ts AS prevExp FROM shard_lease_log ORDER BY id',
        )
        .all() as Array<{
        ts: number;
        c: string;
        owner: string;
        event: string;
        prev: string | null;
        prevExp: number | null;
      }>;
      for (const [c, from, after] of [
        ...victimCommunes.map((c) => [c, victimId, killTs] as const),
        ...stalledCommunes.map((c) => [c, stalledId, stallTs] as const),
      ]) {
        const takeover = log.find((e) => e.c === c && e.event === 'take' && e.prev === from);
        expect(takeover, `takeover of ${c} from ${from}`).toBeDefined();
        expect(ids).toContain(takeover!.owner);
        expect(takeover!.owner).not.toBe(from);
        expect(takeover!.ts).toBeGreaterThanOrEqual(takeover!.prevExp!);
        expect(takeover!.ts).toBeGreaterThanOrEqual(after - 50);
      }
      for (const c of ['ta-lai', 'thu', 'mau']) {
        let holder: string | null = null;
        const lapsed = new Set<string>();
        for (const e of log.filter((x) => x.c === c)) {
          if (e.event === 'take') {
            const fromLapsed =
              holder !== null && e.prev === holder && (holder === victimId || holder === stalledId);
            expect(holder === null || fromLapsed, `${c}: ${e.owner} took it while ${holder} held it`).toBe(
              true,
            );
            if (fromLapsed) lapsed.add(holder!);
            holder = e.owner;
          } else if (e.event === 'lost') {
            expect(
              lapsed.has(e.owner) && e.owner !== holder,
              `${c}: ${e.owner} lost a lease nobody took`,
            ).toBe(true);
          } else {
            expect(e.owner, `${c}: ${e.event} by a worker that did not hold it`).toBe(holder);
            holder = null;
          }
        }
        // A clean stop gives every lease back.
        expect(holder, `${c} still held after every worker stopped`).toBeNull();
        // One broker session per holder: the stalled worker did not take its sessions back.
        const takes = log.filter((x) => x.c === c && x.event === 'take').length;
        const connects = broker!.output().split(`as canhxa-ingest-${c} (`).length - 1;
        expect(connects, `${c}: ${connects} connections for ${takes} takes`).toBe(takes);
      }
      expect(db.prepare("SELECT COUNT(*) FROM shard_leases WHERE owner != ''").pluck().get()).toBe(0);

      // Availability: per device, intervals tile time (no overlap, no gap, one open at most).
      const intervals = db
        .prepare(
          'SELECT device_id AS d, state, reason, start_ts AS s, end_ts AS e FROM state_intervals ORDER BY device_id, start_ts, id',
        )
        .all() as Array<{
        d: string;
        state: string;
        reason: string;
        s: number;
        e: number | null;
      }>;
      const byDevice = groupBy(intervals, (r) => r.d);
      expect(byDevice.size).toBeGreaterThan(50);
      for (const [d, list] of byDevice) {
        for (let i = 0; i < list.length; i++) {
          const cur = list[i]!;
          if (cur.e !== null)
            expect(cur.e, `${d} interval ends before it starts`).toBeGreaterThanOrEqual(cur.s);
          if (i + 1 < list.length)
            expect(cur.e, `${d} intervals overlap or leave a gap`).toBe(list[i + 1]!.s);
        }
        expect(list.filter((r) => r.e === null).length, `${d} open intervals`).toBeLessThanOrEqual(1);
      }
      // The takeover recorded the dead worker's silence as unknown from its last alive mark, and
      // the new holder then saw the devices up again.
      const victimDevice = publishers.find((p) => p.commune === victimCommunes[0])!.topicDevice;
      const history = byDevice.get(victimDevice)!;
      const victimAliveTs = db
        .prepare('SELECT alive_ts FROM service_runs WHERE id = ?')
        .pluck()
        .get(victimRun.id) as number;
      expect(victimAliveTs).toBeLessThanOrEqual(killTs);
      const gap = history.find((r) => r.reason === 'service-restart' && r.s === victimAliveTs);
      expect(gap, `${victimDevice}: gap from ${victimAliveTs} in ${JSON.stringify(history)}`).toBeDefined();
      expect(history.some((r) => r.state === 'up' && r.s > gap!.s)).toBe(true);

      // Service runs per commune never overlap: each run starts after the previous one's last mark.
      const runs = db
        .prepare(
          "SELECT scope, started_ts AS s, alive_ts AS a, stopped_ts AS st FROM service_runs WHERE scope != '' ORDER BY scope, id",
        )
        .all() as Array<{
        scope: string;
        s: number;
        a: number;
        st: number | null;
      }>;
      for (const [scope, list] of groupBy(runs, (r) => r.scope))
        for (let i = 1; i < list.length; i++)
          expect(list[i]!.s, `${scope} runs overlap`).toBeGreaterThanOrEqual(
            list[i - 1]!.st ?? list[i - 1]!.a,
          );
    } finally {
      db.close();
      readings.close();
    }
    // The new holder replayed what the dead worker had acknowledged but not yet stored.
    const taker = survivors.find((w) => w.output().includes('"msg":"replaying spool"'));
    expect(taker, "a survivor replayed the dead worker's shard spool").toBeDefined();
  }, 240_000);
});
