import { describe, expect, it } from 'vitest';
import { CHANNEL_HANDLERS } from '../../../services/ingest/handlers/registry.ts';
import { isPlainHeartbeatV1, isPlainTelemetryV1 } from '../../../services/protocol/payload-checks.ts';
import { HeartbeatV1, TelemetryV1 } from '../../../services/protocol/payloads.ts';

const TS = 1_764_633_600_000;
/** Documents as JSON.parse makes them from the wire. */
const wire = (text: string): unknown => JSON.parse(text);

const telemetry = {
  valid: [
    `{"v":1,"ts":${TS},"metrics":{"soilMoisturePct":31.5,"batteryV":3.61}}`,
    '{"v":1,"metrics":{"x":0}}',
    `{"metrics":{"tempC":-4},"v":1,"ts":${TS}}`,
    `{"v":1,"metrics":{${Array.from({ length: 64 }, (_, i) => `"m${i}":${i}`).join(',')}}}`,
  ],
  invalid: [
    '{"v":2,"metrics":{"x":1}}',
    '{"v":1,"metrics":{}}',
    `{"v":1,"metrics":{${Array.from({ length: 65 }, (_, i) => `"m${i}":${i}`).join(',')}}}`,
    '{"v":1,"metrics":{"Temp":1}}',
    '{"v":1,"metrics":{"__proto__":1}}',
    '{"v":1,"metrics":{"x":"1"}}',
    '{"v":1,"metrics":{"x":1e400}}',
    '{"v":1,"metrics":[1]}',
    '{"v":1,"metrics":null}',
    '{"v":1,"ts":1.5,"metrics":{"x":1}}',
    '{"v":1,"ts":null,"metrics":{"x":1}}',
    '{"v":1,"ts":5,"metrics":{"x":1}}',
    '{"v":1,"metrics":{"x":1},"extra":true}',
    '{"v":1,"__proto__":{"x":1},"metrics":{"x":1}}',
    '[1]',
    'null',
  ],
};

const heartbeat = {
  valid: [
    '{"v":1}',
    `{"v":1,"ts":${TS},"seq":7,"uptimeSec":12.5,"rssiDbm":-71,"fw":"1.4.2"}`,
    '{"v":1,"rssiDbm":0,"uptimeSec":0,"seq":0}',
  ],
  invalid: [
    '{"v":1,"seq":-1}',
    '{"v":1,"seq":1.5}',
    '{"v":1,"rssiDbm":-151}',
    '{"v":1,"rssiDbm":3}',
    '{"v":1,"uptimeSec":-1}',
    '{"v":1,"uptimeSec":1e400}',
    `{"v":1,"fw":"${'x'.repeat(65)}"}`,
    '{"v":1,"fw":3}',
    '{"v":1,"battery":3}',
    '{"v":"1"}',
    '{"v":1,"__proto__":{}}',
  ],
};

describe('hand-written payload checks beside the zod schemas', () => {
  it('accept the usual telemetry and heartbeat documents, which the schemas return unchanged', () => {
    for (const text of telemetry.valid) {
      expect(isPlainTelemetryV1(wire(text)), text).toBe(true);
      expect(TelemetryV1.parse(wire(text)), text).toEqual(wire(text));
    }
    for (const text of heartbeat.valid) {
      expect(isPlainHeartbeatV1(wire(text)), text).toBe(true);
      expect(HeartbeatV1.parse(wire(text)), text).toEqual(wire(text));
    }
  });

  it('never accept a document the schema refuses: those go to the schema for its reasons', () => {
    for (const text of telemetry.invalid) {
      expect(isPlainTelemetryV1(wire(text)), text).toBe(false);
      expect(TelemetryV1.safeParse(wire(text)).success, text).toBe(false);
    }
    for (const text of heartbeat.invalid) {
      expect(isPlainHeartbeatV1(wire(text)), text).toBe(false);
      expect(HeartbeatV1.safeParse(wire(text)).success, text).toBe(false);
    }
  });

  it('leave a document built in code with an undefined ts to the schema', () => {
    expect(isPlainTelemetryV1({ v: 1, ts: undefined, metrics: { x: 1 } })).toBe(false);
    expect(TelemetryV1.safeParse({ v: 1, ts: undefined, metrics: { x: 1 } }).success).toBe(true);
  });

  it('are what ingest runs for the telemetry and heartbeat channels', () => {
    expect(CHANNEL_HANDLERS.telemetry.accepts).toBe(isPlainTelemetryV1);
    expect(CHANNEL_HANDLERS.heartbeat.accepts).toBe(isPlainHeartbeatV1);
  });
});
