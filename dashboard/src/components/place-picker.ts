/**
 * Hamlet → site → device, built from the devices the server lets this user see (GET /api/devices),
 * so a technician is never offered a camera and the police only cameras. The deepest choice is
 * the place: a device, else its site, else the whole hamlet.
 */
import { getLocale, t } from '../i18n.ts';
import type { Device, WindowBody } from '../types.ts';
import { h } from './dom.ts';

type Scope = WindowBody['scope'];

export interface PlacePicker {
  /** The three selects with their labels. */
  readonly element: HTMLElement;
  /** The place chosen; its id is empty when this user sees no device at all. */
  scope(): Scope;
  /** Shows a place (a window being edited). */
  set(scope: Scope): void;
}

const option = (value: string, label: string) => h('option', { value }, label);

/** Distinct [id, name] pairs in first-seen order. */
function places(devices: readonly Device[], id: (d: Device) => string, name: (d: Device) => string) {
  return [...new Map(devices.map((d) => [id(d), name(d)])).entries()].map(([v, n]) => option(v, n));
}

export function placePicker(
  devices: readonly Device[],
  field: (label: string, el: HTMLElement) => HTMLElement,
) {
  const hamlet = h('select', { id: 'wf-hamlet', name: 'hamlet' });
  const site = h('select', { id: 'wf-site', name: 'site' });
  const device = h('select', { id: 'wf-device', name: 'device' });
  hamlet.append(
    ...places(
      devices,
      (d) => d.hamletId,
      (d) => d.hamletName,
    ),
  );
  const fillSites = () =>
    site.replaceChildren(
      option('', t('maintenance.form.wholeHamlet')),
      ...places(
        devices.filter((d) => d.hamletId === hamlet.value),
        (d) => d.siteId,
        (d) => d.siteName,
      ),
    );
  const fillDevices = () => {
    device.replaceChildren(
      option('', t('maintenance.form.wholeSite')),
      ...devices
        .filter((d) => d.siteId === site.value)
        .map((d) => option(d.id, `${d.name} (${d.typeLabel[getLocale()]})`)),
    );
    device.disabled = site.value === '';
  };
  hamlet.addEventListener('change', () => {
    fillSites();
    fillDevices();
  });
  site.addEventListener('change', fillDevices);
  fillSites();
  fillDevices();

  const picker: PlacePicker = {
    element: h(
      'div',
      { class: 'wf-row' },
      field(t('maintenance.form.hamlet'), hamlet),
      field(t('maintenance.form.site'), site),
      field(t('maintenance.form.device'), device),
    ),
    scope: () =>
      device.value
        ? { kind: 'device', id: device.value }
        : site.value
          ? { kind: 'site', id: site.value }
          : { kind: 'hamlet', id: hamlet.value },
    set(scope) {
      const d = devices.find((x) =>
        scope.kind === 'device'
          ? x.id === scope.id
          : scope.kind === 'site'
            ? x.siteId === scope.id
            : x.hamletId === scope.id,
      );
      if (!d) return;
      hamlet.value = d.hamletId;
      fillSites();
      site.value = scope.kind === 'hamlet' ? '' : d.siteId;
      fillDevices();
      device.value = scope.kind === 'device' ? d.id : '';
    },
  };
  return picker;
}
