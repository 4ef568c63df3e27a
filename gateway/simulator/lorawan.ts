import { createHash, randomUUID } from 'node:crypto';
import { chirpStackTopic } from '../../services/protocol/chirpstack-topics.ts';
import { payloadCodecs } from '../lorawan/codecs/registry.ts';

/**
 * A simulated LoRaWAN sensor's uplink as ChirpStack v4 publishes it (JSON encoding of
 * integration.proto's UplinkEvent), its payload encoded by the model's own codec, so the demo
 * drives the real decoder. Faults for the demo: a frozen probe (moisture stuck at its first value)
 * and a dying battery (a few percent per uplink, silent at zero).
 */
export interface LoraSimState {
  fCnt: number;
  moisture?: number;
  battery?: number;
}

export interface LoraSimDevice {
  readonly id: string;
  readonly devEui: string;
  readonly sensorModel: string;
}

export type LoraFault = 'frozen' | 'dying-battery';

/** A gateway EUI made from the network server account's id: stable across runs, 16 hex digits. */
export function simulatedGatewayEui(accountId: string): string {
  return createHash('sha256').update(accountId).digest('hex').slice(0, 16);
}

/**
 * The next uplink of `d`, or null when its battery is dead. `metrics` are the simulator's soil
 * readings for this report (telemetry.ts); the fault bends them.
 */
export function chirpStackUplink(
  d: LoraSimDevice,
  state: LoraSimState,
  metrics: Readonly<Record<string, number>>,
  opts: { applicationId: string; accountId: string; nowTs: number; fault?: LoraFault | undefined },
): { topic: string; payload: string } | null {
  const codec = payloadCodecs.get(d.sensorModel);
  if (!codec) return null;
  state.moisture ??= metrics.soilMoisturePct ?? 30;
  state.battery =
    opts.fault === 'dying-battery' ? Math.max(0, (state.battery ?? 30) - 3) : (metrics.batteryPct ?? 90);
  if (state.battery <= 0) return null;
  const moisture = opts.fault === 'frozen' ? state.moisture : (metrics.soilMoisturePct ?? 30);
  const frame = codec.encode({
    soilMoisturePct: moisture,
    soilTempC: metrics.soilTempC ?? 26,
    soilEcUsCm: Math.round(350 + moisture * 8),
    batteryPct: state.battery,
  });
  state.fCnt += 1;
  const event = {
    deduplicationId: randomUUID(),
    time: new Date(opts.nowTs).toISOString(),
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      tenantName: 'Canh Xã',
      applicationId: opts.applicationId,
      applicationName: 'nong-nghiep-so',
      deviceProfileName: codec.kind,
      deviceName: d.id,
      devEui: d.devEui,
    },
    devAddr: d.devEui.slice(8),
    adr: true,
    dr: 5,
    fCnt: state.fCnt,
    fPort: frame.fPort,
    confirmed: false,
    data: Buffer.from(frame.bytes).toString('base64'),
    rxInfo: [
      {
        gatewayId: simulatedGatewayEui(opts.accountId),
        uplinkId: Math.floor(Math.random() * 65_535),
        rssi: Math.round(metrics.rssiDbm ?? -105),
        snr: metrics.snrDb ?? 5,
        channel: 2,
        crcStatus: 'CRC_OK',
      },
    ],
    txInfo: {
      frequency: 923_200_000,
      modulation: { lora: { bandwidth: 125_000, spreadingFactor: 7, codeRate: 'CR_4_5' } },
    },
  };
  return { topic: chirpStackTopic(opts.applicationId, d.devEui, 'up'), payload: JSON.stringify(event) };
}
