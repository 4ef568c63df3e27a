import { AlertStore } from '../alerts/alert-store.ts';
import { t } from '../shared/i18n/index.ts';
import { type CommuneKpis, isoDay } from './kpis.ts';
import { deviceStates, type IocSources, iocDevices } from './views.ts';

/**
 * The IOC feed as FIWARE Smart Data Models entities, NGSI-LD normalized form (ETSI GS CIM 009),
 * served as application/ld+json: each entity carries its `@context` as URLs, never fetched here.
 * Device (dataModel.Device), Alert (dataModel.Alert), KeyPerformanceIndicator
 * (dataModel.KeyPerformanceIndicator). Built only from the IOC views, so a camera never appears:
 * no camera device, no alert on one, and camera KPIs as one number per commune.
 */

export const NGSI_LD_CORE = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';
const SDM = (model: string) =>
  `https://raw.githubusercontent.com/smart-data-models/dataModel.${model}/master/context.jsonld`;
export const NGSI_LD_CONTEXTS = {
  Device: [SDM('Device'), NGSI_LD_CORE],
  Alert: [SDM('Alert'), NGSI_LD_CORE],
  KeyPerformanceIndicator: [SDM('KeyPerformanceIndicator'), NGSI_LD_CORE],
} as const;
export type NgsiLdType = keyof typeof NGSI_LD_CONTEXTS;
export const NGSI_LD_TYPES = Object.keys(NGSI_LD_CONTEXTS) as NgsiLdType[];

type Entity = Record<string, unknown> & { id: string; type: NgsiLdType };

const prop = (value: unknown) => ({ type: 'Property', value });
const dateTime = (ts: number) => prop({ '@type': 'DateTime', '@value': new Date(ts).toISOString() });
const point = (lat: number, lon: number) => ({
  type: 'GeoProperty',
  value: { type: 'Point', coordinates: [lon, lat] },
});
export const deviceUrn = (communeId: string, deviceId: string) =>
  `urn:ngsi-ld:Device:${communeId}:${deviceId}`;

/** dataModel.Device `category` (its enum) per device type kind. */
const CATEGORY: Record<string, string> = {
  loudspeaker: 'multimedia',
  'wifi-ap': 'network',
  uplink: 'network',
  gateway: 'network',
  'soil-sensor': 'sensor',
};

export function deviceEntities(src: IocSources, communes: readonly string[]): Entity[] {
  return deviceStates(src, communes).map((d) => ({
    id: deviceUrn(d.communeId, d.deviceId),
    type: 'Device',
    '@context': NGSI_LD_CONTEXTS.Device,
    name: prop(d.name),
    category: prop([CATEGORY[d.type] ?? 'sensor']),
    deviceCategory: prop([d.type]),
    deviceState: prop(d.state),
    ...(d.lastHeardTs !== null ? { dateLastValueReported: dateTime(d.lastHeardTs) } : {}),
    location: point(d.location.lat, d.location.lon),
    owner: prop([`urn:ngsi-ld:Organization:${d.communeId}`]),
    source: prop('Canh Xã'),
  }));
}

/** dataModel.Alert `severity` from ours. */
const SEVERITY: Record<string, string> = { critical: 'critical', warning: 'medium', info: 'informational' };

/** Open alerts on devices the province may see; never the devices behind one (they may be cameras). */
export function alertEntities(src: IocSources, communes: readonly string[]): Entity[] {
  const visible = new Map(iocDevices(src, communes).map((d) => [d.id, d]));
  const where = new Map(deviceStates(src, communes).map((d) => [d.deviceId, d.location]));
  return new AlertStore(src.db)
    .open()
    .filter((a) => visible.has(a.deviceId))
    .map((a) => {
      const loc = where.get(a.deviceId)!;
      return {
        id: `urn:ngsi-ld:Alert:${a.communeId}:${a.id}`,
        type: 'Alert' as const,
        '@context': NGSI_LD_CONTEXTS.Alert,
        category: prop('technical'),
        subCategory: prop(a.kind),
        severity: prop(SEVERITY[a.severity] ?? 'medium'),
        description: prop(t('vi', `reason.${a.reason}`, a.params)),
        dateIssued: dateTime(a.openedTs),
        validFrom: dateTime(a.sinceTs),
        alertSource: { type: 'Relationship', object: deviceUrn(a.communeId, a.deviceId) },
        location: point(loc.lat, loc.lon),
      };
    });
}

/** dataModel.KeyPerformanceIndicator `currentStanding` from the status against the target. */
const STANDING: Record<string, string> = { 'on-track': 'good', 'at-risk': 'fair', missed: 'bad' };

/** One entity per commune and target: the value of the target's period so far, at the cut-off. */
export function kpiEntities(all: readonly CommuneKpis[]): Entity[] {
  return all.flatMap((c) =>
    c.kpis.map((k) => ({
      id: `urn:ngsi-ld:KeyPerformanceIndicator:${c.communeId}:${k.targetId}`,
      type: 'KeyPerformanceIndicator' as const,
      '@context': NGSI_LD_CONTEXTS.KeyPerformanceIndicator,
      name: prop(k.name),
      ...(k.planRef ? { description: prop(k.planRef) } : {}),
      category: prop(['quantitative']),
      kpiValue: prop(k.periodSoFar.value),
      ...(STANDING[k.periodSoFar.status] ? { currentStanding: prop(STANDING[k.periodSoFar.status]) } : {}),
      businessTarget: prop(`${k.better === 'higher' ? '≥' : '≤'} ${k.target} ${k.unit}`),
      calculationPeriod: prop({ from: isoDay(k.periodSoFar.fromTs), to: isoDay(k.periodSoFar.toTs - 1) }),
      calculationFrequency: prop('daily'),
      calculationMethod: prop('automatic'),
      calculatedBy: prop('Canh Xã'),
      organization: prop(`UBND ${c.name}`),
      area: prop(`${c.name}, ${c.province}`),
      updatedAt: dateTime(c.cutoffTs),
    })),
  );
}
