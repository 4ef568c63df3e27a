import { z } from 'zod';

/**
 * ChirpStack v4 integration events in JSON encoding, as the MQTT integration publishes them:
 * protobuf's JSON mapping of chirpstack/chirpstack api/proto/integration/integration.proto, so
 * fields are camelCase, `data` is base64, 64-bit ids are strings, enums are names, and fields at
 * their default (fCnt 0, snr 0, acknowledged false) are left out. Only what we read is checked;
 * anything else ChirpStack adds is ignored (looseObject), so a newer ChirpStack still parses.
 */
const DevEui = z.string().regex(/^[0-9a-fA-F]{16}$/, 'devEui is 16 hex digits');
const DeviceInfo = z.looseObject({
  applicationId: z.string().min(1),
  devEui: DevEui,
  deviceName: z.string().optional(),
});
/** RFC 3339 (protobuf Timestamp); absent when ChirpStack had no time to give. */
const Time = z.iso.datetime({ offset: true }).optional();
const U32 = z.number().int().min(0).max(4_294_967_295);

export const RxInfo = z.looseObject({
  gatewayId: z.string().regex(/^[0-9a-fA-F]{16}$/, 'gatewayId is 16 hex digits'),
  rssi: z.number().int().min(-200).max(50).default(0),
  snr: z.number().min(-50).max(50).default(0),
});

export const UpEvent = z.looseObject({
  deduplicationId: z.string().optional(),
  time: Time,
  deviceInfo: DeviceInfo,
  devAddr: z.string().optional(),
  fCnt: U32.default(0),
  fPort: z.number().int().min(0).max(255).default(0),
  data: z.base64().default(''),
  object: z.record(z.string(), z.unknown()).optional(),
  rxInfo: z.array(RxInfo).default([]),
});

export const StatusEvent = z.looseObject({
  time: Time,
  deviceInfo: DeviceInfo,
  margin: z.number().int().default(0),
  externalPowerSource: z.boolean().default(false),
  batteryLevelUnavailable: z.boolean().default(false),
  batteryLevel: z.number().min(0).max(100).default(0),
});

export const JoinEvent = z.looseObject({
  time: Time,
  deviceInfo: DeviceInfo,
  devAddr: z.string().optional(),
});

export const AckEvent = z.looseObject({
  time: Time,
  deviceInfo: DeviceInfo,
  acknowledged: z.boolean().default(false),
  fCntDown: U32.default(0),
});

export const TxAckEvent = z.looseObject({
  time: Time,
  deviceInfo: DeviceInfo,
  gatewayId: z.string().default(''),
  fCntDown: U32.default(0),
});

export const LogEvent = z.looseObject({
  time: Time,
  deviceInfo: DeviceInfo,
  level: z.enum(['INFO', 'WARNING', 'ERROR']).default('INFO'),
  code: z.string().default('UNKNOWN'),
  description: z.string().default(''),
});

export const EVENT_SCHEMAS = {
  up: UpEvent,
  status: StatusEvent,
  join: JoinEvent,
  ack: AckEvent,
  txack: TxAckEvent,
  log: LogEvent,
} as const;

export type UpEventDoc = z.output<typeof UpEvent>;
export type StatusEventDoc = z.output<typeof StatusEvent>;
export type LogEventDoc = z.output<typeof LogEvent>;
