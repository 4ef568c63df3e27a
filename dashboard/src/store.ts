/** The app's shared state: who is signed in, the commune directory and the live device list. */
import { api } from './api.ts';
import { connectStream, type LiveStatus } from './sse.ts';
import type { Commune, Device, HeardEvent, PublicConfig, StateEvent, User } from './types.ts';

/** `heard` marks a change of last-heard time only (no state change). */
export type Change = { kind: 'devices' } | { kind: 'device'; id: string; heard?: boolean } | { kind: 'live' };

export const app = {
  user: null as User | null,
  config: { defaultLocale: 'vi', map: {} } as PublicConfig,
  communes: [] as Commune[],
  devices: new Map<string, Device>(),
  live: 'connecting' as LiveStatus,
  loaded: false,
};

/** True when the user sees several communes (a province user): lists then name the commune. */
export function multiCommune(): boolean {
  return app.communes.length > 1;
}

export function communeName(id: string): string {
  return app.communes.find((c) => c.id === id)?.name ?? id;
}

const listeners = new Set<(c: Change) => void>();

export function subscribe(fn: (c: Change) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(c: Change): void {
  for (const fn of listeners) fn(c);
}

export async function loadDirectory(): Promise<void> {
  const [communes, devices] = await Promise.all([api.communes(), api.devices()]);
  app.communes = communes;
  app.devices = new Map(devices.map((d) => [d.id, d]));
  app.loaded = true;
  emit({ kind: 'devices' });
}

async function refreshDevices(): Promise<void> {
  try {
    const devices = await api.devices();
    app.devices = new Map(devices.map((d) => [d.id, d]));
    emit({ kind: 'devices' });
  } catch (err) {
    console.warn('store: resync failed', err);
  }
}

function applyState(e: StateEvent): void {
  const d = app.devices.get(e.deviceId);
  if (!d) {
    // A device we have not listed yet (added to the commune file since): fetch the list again.
    void refreshDevices();
    return;
  }
  d.state = e.state;
  d.reason = e.reason;
  d.params = e.params ?? {};
  d.sinceTs = e.sinceTs;
  if (e.lastHeardTs !== undefined) d.lastHeardTs = e.lastHeardTs;
  emit({ kind: 'device', id: d.id });
}

function applyHeard(list: readonly HeardEvent[]): void {
  for (const e of list) {
    const d = app.devices.get(e.deviceId);
    if (!d || (d.lastHeardTs !== null && d.lastHeardTs >= e.ts)) continue;
    d.lastHeardTs = e.ts;
    emit({ kind: 'device', id: d.id, heard: true });
  }
}

let closeStream: (() => void) | null = null;

export function startLive(): void {
  closeStream?.();
  closeStream = connectStream({
    state: applyState,
    heard: applyHeard,
    status: (s) => {
      app.live = s;
      emit({ kind: 'live' });
    },
    resync: () => void refreshDevices(),
  });
}

export function stopLive(): void {
  closeStream?.();
  closeStream = null;
}

export function signOutLocally(): void {
  stopLive();
  app.user = null;
  app.communes = [];
  app.devices = new Map();
  app.loaded = false;
}
