/**
 * What the map draws from the commune files, so it is useful with no base layer (an office
 * offline): hamlet outlines filled by the worst state of the devices this role sees, roads, and
 * labels in a pane above the markers, so no marker covers a hamlet's name.
 */
import * as L from 'leaflet';
import { api } from '../api.ts';
import { t } from '../i18n.ts';
import type { Commune, Device, GeoPoint, Hamlet, MapBase } from '../types.ts';
import { escapeHtml } from './dom.ts';
import { STATE_COLORS, stateText, worst } from './state.ts';

/** Panes, bottom to top: outlines, roads, site markers (overlay 400), clusters (600), labels. */
export function addPanes(map: L.Map): void {
  map.createPane('hamlets').style.zIndex = '300';
  map.createPane('roads').style.zIndex = '320';
  const labels = map.createPane('labels');
  labels.style.zIndex = '650';
  // Labels never take a click: the marker under a label stays usable.
  labels.style.pointerEvents = 'none';
}

/** A hamlet's label point: its centre, else the mean of its outline's corners. */
export function hamletPoint(hm: Hamlet): GeoPoint | null {
  if (hm.center) return hm.center;
  const ring = hm.boundary?.coordinates[0];
  if (!ring || ring.length < 4) return null;
  const pts = ring.slice(0, -1);
  return {
    lon: pts.reduce((a, p) => a + p[0], 0) / pts.length,
    lat: pts.reduce((a, p) => a + p[1], 0) / pts.length,
  };
}

export interface HamletShape {
  readonly hamletId: string;
  readonly layer: L.Polygon;
}

/** One outline per hamlet with a boundary; `restyle` recolours them from the devices. */
export function hamletOutlines(communes: readonly Commune[], withTiles: boolean): HamletShape[] {
  const out: HamletShape[] = [];
  for (const c of communes)
    for (const hm of c.hamlets) {
      if (!hm.boundary) continue;
      const rings = hm.boundary.coordinates.map((r) => r.map(([lon, lat]) => [lat, lon] as [number, number]));
      const layer = L.polygon(rings, {
        pane: 'hamlets',
        className: 'hamlet-outline',
        weight: 1.5,
        fillOpacity: withTiles ? 0.14 : 0.22,
      });
      out.push({ hamletId: hm.id, layer });
    }
  return out;
}

/** Fills each outline with the worst state of the hamlet's devices (grey, dashed, when none). */
export function restyleHamlets(shapes: readonly HamletShape[], devices: Iterable<Device>): void {
  const byHamlet = new Map<string, Device[]>();
  for (const d of devices) byHamlet.set(d.hamletId, [...(byHamlet.get(d.hamletId) ?? []), d]);
  for (const { hamletId, layer } of shapes) {
    const list = byHamlet.get(hamletId) ?? [];
    const s = list.length ? worst(list.map((d) => d.state)) : null;
    layer.setStyle({
      color: s ? STATE_COLORS[s] : '#7a828c',
      fillColor: s ? STATE_COLORS[s] : '#ffffff',
      dashArray: s ? '' : '4 4',
    });
    const el = layer.getElement();
    el?.setAttribute('data-hamlet', hamletId);
    el?.setAttribute('data-state', s ?? 'none');
    const n = list.length;
    layer.bindTooltip(
      `${escapeHtml(list[0]?.hamletName ?? hamletId)} — ${s ? escapeHtml(stateText(s)) : escapeHtml(t('map.noDevices'))}${n ? ` · ${escapeHtml(t('map.devicesAtSite', { n }))}` : ''}`,
      { sticky: true },
    );
  }
}

export function roadLines(communes: readonly Commune[]): L.Polyline[] {
  return communes.flatMap((c) =>
    (c.roads ?? []).map((r) => {
      const lines =
        r.geometry.type === 'LineString'
          ? [r.geometry.coordinates as [number, number][]]
          : (r.geometry.coordinates as [number, number][][]);
      const line = L.polyline(
        lines.map((l) => l.map(([lon, lat]) => [lat, lon] as [number, number])),
        {
          pane: 'roads',
          className: r.major ? 'road road-major' : 'road',
          color: r.major ? '#c8913a' : '#a38b6a',
          weight: r.major ? 4 : 2,
          opacity: 0.9,
          interactive: false,
        },
      );
      return line;
    }),
  );
}

/** Hamlet names (and, for several communes, commune names) in the label pane. */
export function labelMarkers(communes: readonly Commune[]): L.Marker[] {
  const label = (at: GeoPoint, text: string, cls: string) =>
    L.marker([at.lat, at.lon], {
      icon: L.divIcon({ className: cls, html: `<span>${escapeHtml(text)}</span>`, iconSize: [0, 0] }),
      interactive: false,
      keyboard: false,
      pane: 'labels',
    });
  const out: L.Marker[] = [];
  for (const c of communes) {
    if (communes.length > 1) out.push(label(c.center, c.name, 'commune-label'));
    for (const hm of c.hamlets) {
      const at = hamletPoint(hm);
      if (at) out.push(label(at, hm.name, 'hamlet-label'));
    }
  }
  return out;
}

/**
 * The tile layer through the service's proxy (/api/map/tiles), when it has tiles to give; what the
 * service said about its base, so the page can say "offline" or "cached". Rejects when unreachable.
 */
export async function addTileBase(map: L.Map): Promise<MapBase> {
  const base = await api.mapBase();
  if (base.tiles)
    L.tileLayer('/api/map/tiles/{z}/{x}/{y}.png', {
      attribution: escapeHtml(base.attribution),
      maxZoom: base.maxZoom,
    }).addTo(map);
  return base;
}
