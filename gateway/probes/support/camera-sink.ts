import type { ImageMeasures } from './image-checks.ts';

/**
 * Where the ONVIF probe leaves the snapshots it judged, and where it reads the reference view a
 * person approved. Snapshots are binary and large: they never travel in the 16 KiB JSON MQTT
 * documents. Inside the service the embedded gateway binds the service's snapshot store
 * (services/cameras/snapshot-store.ts) directly; a gateway box at a hamlet binds the uploader
 * (gateway/runtime/snapshot-uploader.ts) when its file names the service's API, else none (the
 * probe then judges covered, dark and blurred but not "scene moved").
 */
export interface CameraSnapshotSink {
  /** Keeps the snapshot (content-addressed); returns its sha256 in hex. Must not throw for a full disk: log and go on. */
  keep(deviceId: string, jpeg: Buffer, measures: ImageMeasures, takenTs: number): string | undefined;
  /** The dHash of the camera's approved reference snapshot, if one was approved. */
  referenceHash(deviceId: string): string | undefined;
}

interface Binding {
  readonly deviceId: string;
  readonly sink: CameraSnapshotSink;
}

/**
 * Keyed on the target's config object, which the runtime passes unchanged to every run
 * (gateway/probes/probe.ts): the probe learns which camera it is judging and where its snapshots go
 * without the device id or a store entering the config a commune file writes.
 */
const bindings = new WeakMap<object, Binding>();

export function bindCameraSink(config: object, deviceId: string, sink: CameraSnapshotSink): void {
  bindings.set(config, { deviceId, sink });
}

export function cameraBinding(config: object): Binding | undefined {
  return bindings.get(config);
}
