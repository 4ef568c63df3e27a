/**
 * Map with no tile layer by default: the commune office may be offline, so the map is a plain background
 * with hamlet labels and one circle per site coloured by the worst state of its devices. When the server
 * config names a tile URL (`map.tileUrl`), that layer is added with its attribution.
 */
import * as L from 'leaflet';
import { typeLabel } from '../components/device-row.ts';
import { escapeHtml, h } from '../components/dom.ts';
import { stateIconMarkup } from '../components/icons.ts';
import { legend, STATE_COLORS, severity, stateBadge, stateText, worst } from '../components/state.ts';
import { getLocale, reasonText, t } from '../i18n.ts';
import { href } from '../router.ts';
import { app, subscribe } from '../store.ts';
import type { Device, GeoPoint } from '../types.ts';
import { definePage } from './page.ts';

interface SitePin {
  id: string;
  name: string;
  hamletName: string;
  at: GeoPoint;
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
      devices: [],
    };
    pin.devices.push(d);
    pins.set(d.siteId, pin);
  }
  return [...pins.values()];
}

function hamletLabels(): { name: string; at: GeoPoint }[] {
  const out: { name: string; at: GeoPoint }[] = [];
  for (const c of app.communes) {
    for (const hm of c.hamlets) {
      const sites = c.sites.filter((s) => s.hamlet === hm.id);
      const at =
        hm.center ??
        (sites.length
          ? {
              lat: sites.reduce((a, s) => a + s.location.lat, 0) / sites.length,
              lon: sites.reduce((a, s) => a + s.location.lon, 0) / sites.length,
            }
          : null);
      if (at) out.push({ name: hm.name, at });
    }
  }
  return out;
}

function popupHtml(p: SitePin): string {
  const items = [...p.devices]
    .sort((a, b) => severity(a.state) - severity(b.state))
    .map(
      (d) =>
        `<li><span class="state-badge compact state-${d.state}">${stateIconMarkup(d.state)}<span>${escapeHtml(stateText(d.state))}</span></span> ` +
        `<a href="${href('device', d.id)}">${escapeHtml(d.name)}</a><br><small>${escapeHtml(typeLabel(d))} · ${escapeHtml(reasonText(d.reason, d.params))}</small></li>`,
    )
    .join('');
  return `<div class="popup"><strong>${escapeHtml(p.name)}</strong><div class="muted">${escapeHtml(p.hamletName)}</div><ul>${items}</ul></div>`;
}

function markerStyle(p: SitePin): L.CircleMarkerOptions {
  const s = worst(p.devices.map((d) => d.state));
  return {
    radius: 7 + Math.min(p.devices.length, 5),
    color: '#ffffff',
    weight: 2,
    fillColor: STATE_COLORS[s],
    fillOpacity: 0.95,
  };
}

export function mapPage(root: HTMLElement): () => void {
  const mapEl = h('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('map.title') });
  const problems = h('ul', { class: 'problem-list' });
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
        mapEl,
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

  const map = L.map(mapEl, { zoomControl: true, attributionControl: true, preferCanvas: false });
  map.attributionControl.setPrefix(false);
  const tileUrl = app.config.map?.tileUrl;
  if (tileUrl)
    L.tileLayer(tileUrl, { attribution: app.config.map.attribution ?? '', maxZoom: 19 }).addTo(map);

  // Labels sit in a pane under the markers so a site on a hamlet's centre stays clickable.
  map.createPane('hamlets').style.zIndex = '350';
  const labels = L.layerGroup().addTo(map);
  for (const hl of hamletLabels()) {
    L.marker([hl.at.lat, hl.at.lon], {
      icon: L.divIcon({
        className: 'hamlet-label',
        html: `<span>${escapeHtml(hl.name)}</span>`,
        iconSize: [0, 0],
      }),
      interactive: false,
      keyboard: false,
      pane: 'hamlets',
    }).addTo(labels);
  }
  const markers = L.layerGroup().addTo(map);
  const bySite = new Map<string, L.CircleMarker>();

  const draw = (fit: boolean) => {
    const pins = sitePins();
    const seen = new Set<string>();
    for (const p of pins) {
      seen.add(p.id);
      const tip = `${escapeHtml(p.name)} — ${escapeHtml(stateText(worst(p.devices.map((d) => d.state))))}`;
      const m = bySite.get(p.id);
      // Update in place so an open popup stays open and shows the new state.
      if (m)
        m.setStyle(markerStyle(p))
          .setRadius(markerStyle(p).radius ?? 8)
          .setTooltipContent(tip)
          .setPopupContent(popupHtml(p));
      else
        bySite.set(
          p.id,
          L.circleMarker([p.at.lat, p.at.lon], markerStyle(p))
            .bindTooltip(tip)
            .bindPopup(popupHtml(p), { maxWidth: 300, maxHeight: 280 })
            .addTo(markers),
        );
    }
    for (const [id, m] of bySite) {
      if (!seen.has(id)) {
        m.remove();
        bySite.delete(id);
      }
    }
    const bad = pins
      .filter((p) => worst(p.devices.map((d) => d.state)) !== 'up')
      .sort((a, b) => a.name.localeCompare(b.name, getLocale()));
    problems.replaceChildren(
      ...(bad.length
        ? bad.map((p) => {
            const d = [...p.devices].sort((a, b) => severity(a.state) - severity(b.state))[0]!;
            return h(
              'li',
              {},
              stateBadge(d.state, 'compact'),
              ' ',
              h('a', { href: href('device', d.id) }, p.name),
              h('div', { class: 'meta' }, p.hamletName, ' · ', d.name),
            );
          })
        : [h('li', { class: 'muted' }, t('map.noProblems'))]),
    );
    if (fit) {
      const pts: L.LatLngExpression[] = [
        ...pins.map((p) => [p.at.lat, p.at.lon] as [number, number]),
        ...hamletLabels().map((hl) => [hl.at.lat, hl.at.lon] as [number, number]),
      ];
      const c = app.communes[0]?.center;
      if (pts.length) map.fitBounds(L.latLngBounds(pts), { padding: [30, 30], maxZoom: 16 });
      else if (c) map.setView([c.lat, c.lon], 13);
      else map.setView([11.3, 107.35], 12);
    }
  };
  draw(true);
  L.control.scale({ imperial: false }).addTo(map);

  let pending = 0;
  const unsubscribe = subscribe((c) => {
    if (c.kind === 'live' || pending) return;
    // Redraw at most once a second: heartbeats from a hundred devices must not thrash the map.
    pending = window.setTimeout(() => {
      pending = 0;
      draw(false);
    }, 1000);
  });
  const onResize = () => map.invalidateSize();
  window.addEventListener('resize', onResize);
  return () => {
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
  // Not for leaders, admins or the province: the map is one commune's sites, an operations view.
  roles: ['police', 'economics', 'technician'],
  render: (root) => mapPage(root),
});
