import { DEFAULT_FROZEN_AFTER_HOURS } from '../../config/lorawan.ts';
import { payloadCodecs } from '../../gateway/lorawan/codecs/registry.ts';
import { LorawanDecoder, type LorawanSensor } from '../../gateway/lorawan/decoder.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { Db } from '../store/db.ts';
import { SqliteLinkStates } from './lorawan-links.ts';

/**
 * The LoRaWAN decoder over the inventory: every device with a devEui and a sensorModel (checked
 * at load: config/lorawan.ts). Ingest hands it whatever arrives under `application/` (a network
 * server account in the embedded broker, or the ChirpStack bridge relaying from ChirpStack's own)
 * and routes the cx/v1 documents it returns like any other. With `db`, each sensor's link state
 * (frame counter, gaps, radio) is kept there across restarts.
 */
export function lorawanDecoderFor(directory: DeviceDirectory, db?: Db): LorawanDecoder {
  const sensors: LorawanSensor[] = [];
  for (const d of directory.all()) {
    const { devEui, sensorModel, frozenAfterHours } = d.config;
    const codec = sensorModel === undefined ? undefined : payloadCodecs.get(sensorModel);
    if (devEui === undefined || !codec) continue;
    sensors.push({
      deviceId: d.id,
      communeId: d.communeId,
      devEui,
      codec,
      reportedBy: d.reportedBy,
      frozenAfterMs: (frozenAfterHours ?? DEFAULT_FROZEN_AFTER_HOURS) * 3_600_000,
    });
  }
  return new LorawanDecoder(sensors, db ? new SqliteLinkStates(db) : undefined);
}
