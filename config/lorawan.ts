import { payloadCodecs } from '../gateway/lorawan/codecs/registry.ts';
import type { CommuneFile, DeviceConfig } from './schema/commune.ts';

/** Missed uplink intervals before a LoRaWAN sensor is down, unless its model or the device says otherwise. */
export const DEFAULT_MISSED_UPLINKS = 3;
/** The same moisture reading for this long is a broken sensor (a dry spell moves it a little too). */
export const DEFAULT_FROZEN_AFTER_HOURS = 12;

/**
 * A LoRaWAN sensor's liveness from its model (gateway/lorawan/codecs): down after N missed uplink
 * intervals, plus a tenth of one for the sensor's own jitter. Undefined when it has no model or an
 * explicit `liveness`, which wins.
 */
export function lorawanLiveness(
  d: DeviceConfig,
): { heartbeatIntervalSec: number; graceSec: number } | undefined {
  if (d.liveness || d.sensorModel === undefined) return undefined;
  const codec = payloadCodecs.get(d.sensorModel);
  if (!codec) return undefined;
  const interval = d.uplinkIntervalSec ?? codec.uplinkIntervalSec;
  const n = d.missedUplinks ?? DEFAULT_MISSED_UPLINKS;
  return { heartbeatIntervalSec: interval, graceSec: (n - 1) * interval + Math.ceil(interval / 10) };
}

/** LoRaWAN fields of one commune file: models, pairs that go together, and who may publish. */
export function lorawanProblems(file: string, c: CommuneFile): string[] {
  const out: string[] = [];
  const byId = new Map(c.devices.map((d) => [d.id, d]));
  const apps = new Map<string, string>();
  const models = [...payloadCodecs.keys()].join(', ');
  c.devices.forEach((d, i) => {
    const at = `${file}: devices[${i}]`;
    if (d.sensorModel !== undefined && !payloadCodecs.has(d.sensorModel))
      out.push(
        `${at}.sensorModel — "${d.sensorModel}" is not a known sensor model. Fix: use one of ${models}.`,
      );
    if ((d.devEui === undefined) !== (d.sensorModel === undefined))
      out.push(
        `${at}.${d.devEui === undefined ? 'devEui' : 'sensorModel'} — devEui and sensorModel go together. Fix: give both (the DevEUI on the sensor's label and its model), or neither.`,
      );
    for (const key of ['uplinkIntervalSec', 'missedUplinks', 'frozenAfterHours'] as const)
      if (d[key] !== undefined && d.sensorModel === undefined)
        out.push(
          `${at}.${key} — only a LoRaWAN sensor (with sensorModel) has this. Fix: remove it or add devEui and sensorModel.`,
        );
    if (d.applicationIds !== undefined && d.type !== 'gateway')
      out.push(
        `${at}.applicationIds — only a gateway device (a network server account) publishes for LoRaWAN applications; this is a ${d.type}. Fix: move applicationIds to the gateway or ChirpStack device.`,
      );
    d.applicationIds?.forEach((app, j) => {
      const prev = apps.get(app);
      if (prev !== undefined && prev !== d.id)
        out.push(
          `${at}.applicationIds[${j}] — "${app}" already belongs to ${prev}. Fix: one network server per application.`,
        );
      apps.set(app, d.id);
    });
    if (d.devEui !== undefined) {
      const servers = (d.reportedBy ?? (d.behind ? [d.behind] : [])).filter(
        (r) => byId.get(r)?.applicationIds,
      );
      if (servers.length === 0)
        out.push(
          `${at}.reportedBy — a LoRaWAN sensor is reported by its network server, and none of its reporters has applicationIds. Fix: name the gateway or ChirpStack device (with applicationIds) in reportedBy.`,
        );
    }
  });
  return out;
}

/** Each DevEUI once in the deployment: an uplink must find exactly one device. `seen` spans the files. */
export function devEuiClashes(file: string, c: CommuneFile, seen: Map<string, string>): string[] {
  const out: string[] = [];
  c.devices.forEach((d, i) => {
    if (d.devEui === undefined) return;
    const where = `${file}: devices[${i}]`;
    const prev = seen.get(d.devEui);
    if (prev !== undefined)
      out.push(
        `${where}.devEui — "${d.devEui}" is already ${prev}. Fix: each sensor has its own DevEUI; check the label.`,
      );
    else seen.set(d.devEui, `${d.id} (${where})`);
  });
  return out;
}

/**
 * Each ChirpStack application under one network server account in the deployment, across commune
 * files too: the external-broker ingest routes an application's events by it (chirpStackRoutes),
 * and an application in two communes would be taken by one of them only. Clashes inside one file
 * are lorawanProblems'. `seen` spans the files.
 */
export function applicationClashes(
  file: string,
  c: CommuneFile,
  seen: Map<string, { file: string; shown: string }>,
): string[] {
  const out: string[] = [];
  c.devices.forEach((d, i) => {
    d.applicationIds?.forEach((app, j) => {
      const prev = seen.get(app);
      if (prev === undefined) seen.set(app, { file, shown: `${d.id} (${file}: devices[${i}])` });
      else if (prev.file !== file)
        out.push(
          `${file}: devices[${i}].applicationIds[${j}] — "${app}" already belongs to ${prev.shown}, in another commune. Fix: each ChirpStack application serves one commune; give this one its own application.`,
        );
    });
  });
  return out;
}
