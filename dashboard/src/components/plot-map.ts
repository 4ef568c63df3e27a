/**
 * The farm pilot's plots on a map (issue #13): one circle per plot coloured as its badge (too dry,
 * too wet, fine, no data), over the hamlet outlines and, when the service has them, map tiles.
 * A plot's circle opens a popup with its hamlet and mean moisture. Made once per page; each reload
 * only redraws the circles.
 */
import * as L from 'leaflet';
import { formatNumber, t } from '../i18n.ts';
import { app } from '../store.ts';
import { escapeHtml, h } from './dom.ts';
import { addPanes, addTileBase, hamletOutlines } from './map-layers.ts';
import { STATE_COLORS } from './state.ts';

export interface MapPlot {
  readonly siteId: string;
  readonly name: string;
  readonly hamletName: string;
  readonly location: { readonly lat: number; readonly lon: number };
  readonly moisturePct: number | null;
  readonly status: 'dry' | 'wet' | 'ok' | 'no-data';
}

/** The badge's colours (farms.css), as Leaflet needs them: a fill, not a class. */
const STATUS_COLORS: Record<MapPlot['status'], string> = {
  dry: STATE_COLORS.down,
  wet: STATE_COLORS.degraded,
  ok: STATE_COLORS.up,
  'no-data': STATE_COLORS.unknown,
};

export interface PlotMap {
  readonly element: HTMLElement;
  show(plots: readonly MapPlot[]): void;
  destroy(): void;
}

export function plotMap(): PlotMap {
  const mapEl = h('div', { class: 'plot-map', role: 'region', 'aria-label': t('farms.map') });
  const element = h('section', { class: 'panel plot-map-panel' }, h('h2', {}, t('farms.map')), mapEl);
  let map: L.Map | null = null;
  let markers: L.LayerGroup | null = null;
  let fitted = false;

  const create = (): L.Map => {
    const m = L.map(mapEl, { zoomControl: true, attributionControl: true });
    m.attributionControl.setPrefix(false);
    addPanes(m);
    const outlines = L.layerGroup(hamletOutlines(app.communes, false).map((s) => s.layer)).addTo(m);
    addTileBase(m)
      .then((base) => {
        if (!base.tiles || map !== m) return;
        outlines.clearLayers();
        for (const s of hamletOutlines(app.communes, true)) outlines.addLayer(s.layer);
      })
      .catch(() => undefined); // Offline: the outlines alone, as on the map page.
    markers = L.layerGroup().addTo(m);
    return m;
  };

  return {
    element,
    show(plots) {
      // Leaflet measures its box when made: only once the panel is in the page.
      if (!map && mapEl.isConnected) map = create();
      if (!map || !markers) return;
      markers.clearLayers();
      // The worst drawn last, so a dry plot beside a fine one is never hidden under it.
      const order = ['no-data', 'ok', 'wet', 'dry'];
      const drawn = [...plots].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
      for (const p of drawn) {
        const moisture = p.moisturePct === null ? '–' : `${formatNumber(p.moisturePct, 1)} %`;
        L.circleMarker([p.location.lat, p.location.lon], {
          radius: 9,
          color: '#ffffff',
          weight: 2,
          fillColor: STATUS_COLORS[p.status],
          fillOpacity: 0.95,
          className: `plot-marker plot-marker-${p.status}`,
        })
          .bindTooltip(`${escapeHtml(p.name)} — ${escapeHtml(t(`farms.status.${p.status}`))}`)
          .bindPopup(
            `<div class="popup"><strong>${escapeHtml(p.name)}</strong><div class="muted">${escapeHtml(p.hamletName)}</div>` +
              `<div>${escapeHtml(t('farms.mean', { value: moisture }))}</div></div>`,
          )
          .addTo(markers);
      }
      if (!fitted && plots.length > 0) {
        map.fitBounds(L.latLngBounds(plots.map((p) => [p.location.lat, p.location.lon])), {
          padding: [30, 30],
          maxZoom: 15,
        });
        fitted = true;
      }
    },
    destroy() {
      map?.remove();
      map = null;
    },
  };
}
