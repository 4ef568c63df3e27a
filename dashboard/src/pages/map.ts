/**
 * The map. A base layer when the service can reach its tile server or has tiles cached (it proxies
 * them: /api/map/tiles), and under it, always, what the commune files give: hamlet outlines filled
 * by the worst state of the devices this role sees, roads, and labels above the markers. Sites
 * are circles coloured by their worst state; close sites join into a numbered cluster coloured by
 * the worst state inside, which zooms in when pressed.
 */
import * as L from 'leaflet';
import { typeLabel } from '../components/device-row.ts';
import { escapeHtml, h } from '../components/dom.ts';
import { gridCluster } from '../components/grid-cluster.ts';
import { stateIconMarkup } from '../components/icons.ts';
import {
  addPanes,
  addTileBase,
  type HamletShape,
  hamletOutlines,
  hamletPoint,
  labelMarkers,
  restyleHamlets,
  roadLines,
} from '../components/map-layers.ts';
import { legend, STATE_COLORS, severity, stateBadge, stateText, worst } from '../components/state.ts';
import { getLocale, reasonText, t } from '../i18n.ts';
import { href } from '../router.ts';
import { app, subscribe } from '../store.ts';
import type { Device, GeoPoint } from '../types.ts';
import { definePage } from './page.ts';

// Two markers closer than this on screen join into one cluster.
const CLUSTER_PX = 44;

interface SitePin {
  id: string;
  name: string;
  hamletName: string;
  at: GeoPoint;
  approximate: boolean;
  devices: Device[];
}

function sitePins(): SitePin[] {
  const sites = new Map(app.communes.flatMap((c) => c.sites.map((s) => [s.id, s] as const)));
  const pins = new Map<string, SitePin>();
  for (const d of app.devices.values()) {
    const s = sites.get(d.siteId);
    const pin = pins.get(d.siteId) ?? {
      id: d.siteId,
      name: d.siteName,
      hamletName: d.hamletName,
      at: s?.location ?? d.location,
      approximate: s?.approximate ?? false,
      devices: [],
    };
    pin.devices.push(d);
    pins.set(d.siteId, pin);
  }
  return [...pins.values()];
}

const pinState = (p: SitePin) => worst(p.devices.map((d) => d.state));

function popupHtml(p: SitePin): string {
  const items = [...p.devices]
    .sort((a, b) => severity(a.state) - severity(b.state))
    .map(
      (d) =>
        `<li><span class="state-badge compact state-${d.state}">${stateIconMarkup(d.state)}<span>${escapeHtml(stateText(d.state))}</span></span> ` +
        `<a href="${href(d.type === 'camera' ? 'camera' : 'device', d.id)}">${escapeHtml(d.name)}</a><br><small>${escapeHtml(typeLabel(d))} · ${escapeHtml(reasonText(d.reason, d.params))}</small></li>`,
    )
    .join('');
  const approx = p.approximate ? `<div class="muted">${escapeHtml(t('map.approximate'))}</div>` : '';
  return `<div class="popup"><strong>${escapeHtml(p.name)}</strong><div class="muted">${escapeHtml(p.hamletName)}</div>${approx}<ul>${items}</ul></div>`;
}

function siteMarker(p: SitePin): L.CircleMarker {
  const s = pinState(p);
  return L.circleMarker([p.at.lat, p.at.lon], {
    radius: 7 + Math.min(p.devices.length, 5),
    color: '#ffffff',
    weight: 2,
    fillColor: STATE_COLORS[s],
    fillOpacity: 0.95,
    className: `site-marker state-${s}`,
  })
    .bindTooltip(`${escapeHtml(p.name)} — ${escapeHtml(stateText(s))}`)
    .bindPopup(popupHtml(p), { maxWidth: 300, maxHeight: 280 });
}

function clusterMarker(map: L.Map, pins: readonly SitePin[], at: L.LatLng): L.Marker {
  const s = worst(pins.flatMap((p) => p.devices.map((d) => d.state)));
  const n = pins.length;
  const label = t('map.cluster', { n, state: stateText(s) });
  const m = L.marker(at, {
    icon: L.divIcon({
      className: `site-cluster state-${s}`,
      html: `<span style="background:${STATE_COLORS[s]}" data-sites="${escapeHtml(pins.map((p) => p.id).join(' '))}">${n}</span>`,
      iconSize: [34, 34],
    }),
    title: label,
    alt: label,
  });
  m.on('click', () =>
    map.fitBounds(L.latLngBounds(pins.map((p) => [p.at.lat, p.at.lon])), {
      padding: [40, 40],
      maxZoom: map.getZoom() + 3,
    }),
  );
  return m;
}

function problemItems(pins: readonly SitePin[]): HTMLElement[] {
  const bad = pins
    .filter((p) => pinState(p) !== 'up')
    .sort((a, b) => a.name.localeCompare(b.name, getLocale()));
  if (!bad.length) return [h('li', { class: 'muted' }, t('map.noProblems'))];
  return bad.map((p) => {
    const d = [...p.devices].sort((a, b) => severity(a.state) - severity(b.state))[0]!;
    return h(
      'li',
      {},
      stateBadge(d.state, 'compact'),
      ' ',
      h('a', { href: href('device', d.id) }, p.name),
      h('div', { class: 'meta' }, p.hamletName, ' · ', d.name),
    );
  });
}

function fitAll(map: L.Map, pins: readonly SitePin[]): void {
  const pts: [number, number][] = [
    ...pins.map((p) => [p.at.lat, p.at.lon] as [number, number]),
    ...app.communes.flatMap((c) =>
      c.hamlets.flatMap(
        (hm) => hm.boundary?.coordinates[0]?.map(([lon, lat]) => [lat, lon] as [number, number]) ?? [],
      ),
    ),
    ...app.communes
      .flatMap((c) => c.hamlets.map(hamletPoint).filter((p) => p !== null))
      .map((p) => [p.lat, p.lon] as [number, number]),
  ];
  const c = app.communes[0]?.center;
  if (pts.length) map.fitBounds(L.latLngBounds(pts), { padding: [20, 20], maxZoom: 16 });
  else if (c) map.setView([c.lat, c.lon], 13);
  else map.setView([11.3, 107.35], 12);
}

export function mapPage(root: HTMLElement): () => void {
  const mapEl = h('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('map.title') });
  const problems = h('ul', { class: 'problem-list' });
  const baseNote = h('p', { class: 'map-base-note muted', 'data-base': 'pending' });
  root.replaceChildren(
    h(
      'main',
      { class: 'page page-map', id: 'main' },
      h(
        'div',
        { class: 'page-head' },
        h('h1', {}, t('map.title')),
        h('p', { class: 'muted' }, t('map.hint')),
      ),
      h(
        'div',
        { class: 'map-layout' },
        h('div', { class: 'map-wrap' }, mapEl, baseNote),
        h(
          'aside',
          { class: 'map-side panel' },
          h('h2', {}, t('legend.title')),
          legend(),
          h('h2', {}, t('map.problems')),
          problems,
        ),
      ),
    ),
  );

  const map = L.map(mapEl, { zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix(false);
  addPanes(map);
  let shapes: HamletShape[] = hamletOutlines(app.communes, false);
  const outlines = L.layerGroup(shapes.map((s) => s.layer)).addTo(map);
  L.layerGroup(roadLines(app.communes)).addTo(map);
  L.layerGroup(labelMarkers(app.communes)).addTo(map);
  const markers = L.layerGroup().addTo(map);
  let closed = false;

  addTileBase(map)
    .then((base) => {
      if (closed) return;
      baseNote.dataset.base = base.tiles ? 'tiles' : 'offline';
      baseNote.textContent = base.tiles ? (base.reachable ? '' : t('map.baseCached')) : t('map.baseOffline');
      if (!base.tiles) return;
      // Over a real map the outlines are drawn lighter, so streets stay readable.
      outlines.clearLayers();
      shapes = hamletOutlines(app.communes, true);
      for (const s of shapes) outlines.addLayer(s.layer);
      restyleHamlets(shapes, app.devices.values());
    })
    .catch(() => {
      if (closed) return;
      baseNote.dataset.base = 'offline';
      baseNote.textContent = t('map.baseOffline');
    });

  const draw = () => {
    // Zoomed out, nineteen hamlet names would pile on each other: the outlines and clusters say enough.
    mapEl.classList.toggle('map-far', map.getZoom() < 12);
    const pins = sitePins();
    restyleHamlets(shapes, app.devices.values());
    markers.clearLayers();
    const pts = pins.map((p) => ({ ...map.latLngToLayerPoint([p.at.lat, p.at.lon]), item: p }));
    for (const c of gridCluster(pts, CLUSTER_PX)) {
      if (c.items.length === 1) markers.addLayer(siteMarker(c.items[0]!));
      else markers.addLayer(clusterMarker(map, c.items, map.layerPointToLatLng([c.x, c.y])));
    }
    problems.replaceChildren(...problemItems(pins));
  };
  fitAll(map, sitePins());
  draw();
  L.control.scale({ imperial: false }).addTo(map);
  map.on('zoomend', draw);

  let pending = 0;
  const unsubscribe = subscribe((c) => {
    if (c.kind === 'live' || pending) return;
    // Redraw at most once a second: heartbeats from a hundred devices must not thrash the map,
    // and an open popup is kept unless its marker changed.
    pending = window.setTimeout(() => {
      pending = 0;
      if (!map.getContainer().querySelector('.leaflet-popup')) draw();
      else restyleHamlets(shapes, app.devices.values());
    }, 1000);
  });
  const onResize = () => map.invalidateSize();
  window.addEventListener('resize', onResize);
  return () => {
    closed = true;
    unsubscribe();
    clearTimeout(pending);
    window.removeEventListener('resize', onResize);
    map.remove();
  };
}

export const map = definePage({
  id: 'map',
  path: '/map',
  titleKey: 'map.title',
  navKey: 'nav.map',
  // Leaders and the province get it too (communes, hamlets, sites; never a camera's position: the
  // API places a key point with a camera at its hamlet's centre for them).
  roles: ['police', 'economics', 'technician', 'leader', 'province'],
  render: (root) => mapPage(root),
});
