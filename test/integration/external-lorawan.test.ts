/**
 * ChirpStack events with an external broker (Debian mosquitto, files from `npm run
 * mosquitto-config`): the network server account publishes with mosquitto_pub under its own
 * application, the generated ACL keeps it there, and the commune's ingest shard takes the events
 * through the one LoRaWAN path, keyed by the uplink's time: a duplicate frame is refused, an
 * unknown DevEUI too, and an application no account owns (let through by a looser broker) is
 * refused and counted once.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../config/load.ts';
import { type RunningApp, startApp } from '../../services/app.ts';
import { mosquittoPasswordLine } from '../../services/ingest/external/mosquitto-files.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { COMMUNE, EUI, em500, LSE01, topic, upEvent } from '../fixtures/soil-farm.ts';
import { waitFor } from '../setup/helpers.ts';
import { externalBrokerSetup, type RunningMosquitto, startMosquitto } from '../setup/mosquitto.ts';

const C = 'xa-vuon';
const ROGUE = 'rogue-ns';
const ROGUE_PASSWORD = 'rogue-Secret-42';
const FOREIGN_APP = '0b9e6a55-1c2d-4e3f-8a7b-5c6d7e8f9a01';
/** ChirpStack's times: whole seconds, so the keys are exact. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;

let dir: string;
let broker: RunningMosquitto | undefined;
let app: RunningApp | undefined;
let gwPassword: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cx-extlora-'));
  mkdirSync(join(dir, 'communes'));
  writeFileSync(join(dir, 'communes', `${C}.yaml`), stringify(COMMUNE));
  const { configFile, writeConfig, generated: out } = externalBrokerSetup(dir);
  // An operator's looser broker: one more account that may publish under any application.
  appendFileSync(join(out, 'passwd'), `${mosquittoPasswordLine(ROGUE, ROGUE_PASSWORD)}\n`);
  appendFileSync(join(out, 'acl'), `\nuser ${ROGUE}\ntopic write application/#\n`);
  gwPassword = JSON.parse(readFileSync(join(dir, 'data', 'device-secrets.json'), 'utf8')).gw;
  broker = await startMosquitto(join(dir, 'mosquitto'), readFileSync(join(out, 'canhxa.conf'), 'utf8'));
  writeConfig(broker.url);
  app = await startApp({ config: loadConfig(configFile, {}), log: createLogger({ level: 'error' }) });
  // The shard's session exists once it has subscribed: until then the broker keeps nothing for it.
  // The network server's heartbeat, sent again until it is heard, says so.
  await waitFor(
    async () => {
      pub('gw', gwPassword, `cx/v1/${C}/gw/heartbeat`, { v: 1, ts: Date.now() });
      for (let i = 0; i < 20 && app!.availability.get('gw')?.state !== 'up'; i++)
        await new Promise((r) => setTimeout(r, 100));
      return app!.availability.get('gw')?.state === 'up';
    },
    'the shard subscribed (the network server heard)',
    60_000,
    0,
  );
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function pub(user: string, password: string, t: string, doc: unknown): void {
  execFileSync('mosquitto_pub', [
    ...['-h', '127.0.0.1', '-p', String(broker!.port), '-V', 'mqttv311', '-q', '1'],
    ...['-u', user, '-P', password, '-i', `${user}-${Math.random().toString(36).slice(2)}`],
    ...['-t', t, '-m', JSON.stringify(doc)],
  ]);
}

const rejects = () =>
  app!.db
    .prepare(`SELECT source, reason, device_id AS deviceId, detail FROM rejects ORDER BY id`)
    .all() as Array<{ source: string; reason: string; deviceId: string | null; detail: string }>;

const moisture = (deviceId: string) =>
  app!.store.query({
    communeId: C,
    deviceId,
    metric: 'soilMoisturePct',
    fromTs: T0 - 1,
    toTs: T0 + 3_600_000,
  });

describe('ChirpStack events through an external broker', () => {
  it('generates ACL lines that keep the network server account in its applications', () => {
    const acl = readFileSync(join(dir, 'data', 'mosquitto', 'acl'), 'utf8');
    const block = acl
      .split('\n\n')
      .find((b) => b.startsWith('user gw\n'))!
      .split('\n');
    expect(block).toContain(`topic write ${topic(EUI.a).replace(`/${EUI.a}/event/up`, '/+/event/+')}`);
    expect(acl).toMatch(
      /^user canhxa-ingest\ntopic read cx\/v1\/#\ntopic read application\/\+\/device\/\+\/event\/\+$/m,
    );
  });

  it('ingests uplinks published by the network server with mosquitto_pub, keyed by the uplink time, once', async () => {
    pub('gw', gwPassword, topic(EUI.a), upEvent(EUI.a, { fCnt: 1, fPort: 2, bytes: LSE01, ts: T0 }));
    pub(
      'gw',
      gwPassword,
      topic(EUI.b),
      upEvent(EUI.b, { fCnt: 7, fPort: 85, bytes: em500(3120, 90), ts: T0 + 1000 }),
    );
    const a = await waitFor(
      async () => ((await moisture('s-tieu')).length > 0 ? moisture('s-tieu') : undefined),
      's-tieu stored',
      45_000,
      50,
    );
    expect(a.map((r) => [r.ts, r.value])).toEqual([[T0, 19.57]]);
    const b = await waitFor(
      async () => ((await moisture('s-dieu')).length > 0 ? moisture('s-dieu') : undefined),
      's-dieu stored',
      45_000,
      50,
    );
    expect(b.map((r) => [r.ts, r.value])).toEqual([[T0 + 1000, 31.2]]);
    // The same frame again (a second gateway's copy, a resend) lands nowhere new.
    pub('gw', gwPassword, topic(EUI.a), upEvent(EUI.a, { fCnt: 1, fPort: 2, bytes: LSE01, ts: T0 }));
    await waitFor(
      () => rejects().find((r) => r.reason === 'lorawan-duplicate-frame'),
      'duplicate refused',
      30_000,
      50,
    );
    expect((await moisture('s-tieu')).length).toBe(1);
    expect(app!.availability.get('s-tieu')?.state).toBe('up');
  }, 120_000);

  it('refuses an unknown DevEUI and an application nobody owns, counted once; the ACL stops the account outside its own', async () => {
    const stranger = 'a840410000000999';
    pub(
      'gw',
      gwPassword,
      topic(stranger),
      upEvent(stranger, { fCnt: 1, fPort: 2, bytes: LSE01, ts: T0 + 2000 }),
    );
    // Denied by mosquitto: the account's ACL is its own application only.
    const foreignTopic = topic(EUI.a).replace(/application\/[^/]+/, `application/${FOREIGN_APP}`);
    const foreignDoc = upEvent(EUI.a, { fCnt: 2, fPort: 2, bytes: LSE01, ts: T0 + 3000 });
    pub('gw', gwPassword, foreignTopic, {
      ...foreignDoc,
      deviceInfo: { ...foreignDoc.deviceInfo, applicationId: FOREIGN_APP },
    });
    // A broker that lets another account publish under any application: the shard refuses it.
    pub(ROGUE, ROGUE_PASSWORD, foreignTopic, {
      ...foreignDoc,
      deviceInfo: { ...foreignDoc.deviceInfo, applicationId: FOREIGN_APP },
    });
    await waitFor(
      () => rejects().find((r) => r.reason === 'lorawan-unknown-dev-eui'),
      'unknown DevEUI refused',
      30_000,
      50,
    );
    const forbidden = () => rejects().filter((r) => r.reason === 'lorawan-forbidden-application');
    await waitFor(() => forbidden().length > 0, 'foreign application refused', 30_000, 50);
    // Only the rogue's copy arrived (the network server's own, sent first on the same session's
    // path, was denied by the broker), and one shard counted it.
    expect(forbidden()).toHaveLength(1);
    expect(forbidden()[0]).toMatchObject({ source: 'lorawan', deviceId: 's-tieu' });
    expect((await moisture('s-tieu')).length).toBe(1);
  }, 120_000);
});
