/**
 * Plausible telemetry per device type for the simulator: one small generator per type kind, in a
 * table. Metric names are the ones each type declares in services/device-types/ (camelCase, unit
 * in the name); flags such as recordingOk are 1 or 0 since telemetry metrics are numbers.
 */
import { WIFI_CLIENTS_METRIC } from '../../services/protocol/metrics.ts';

/** What a generator keeps between reports of one device (a random walk needs its last value). */
export type TelemetryState = Record<string, number>;

export interface TelemetryInput {
  /** Epoch ms UTC of the report. */
  readonly nowTs: number;
  readonly state: TelemetryState;
  /** Uniform in [0, 1); injected so a test can make it deterministic. */
  readonly random: () => number;
}

export type TelemetryGenerator = (input: TelemetryInput) => Record<string, number>;

/** Hour of day in Vietnam (UTC+7, no DST), fractional. */
export function vnHour(ts: number): number {
  return (((ts / 3_600_000 + 7) % 24) + 24) % 24;
}

/** Roughly normal noise with mean 0 and standard deviation ≈ `sd`. */
function noise(random: () => number, sd: number): number {
  return (random() + random() + random() + random() - 2) * sd * 1.73;
}

const clamp = (x: number, min: number, max: number) => Math.min(max, Math.max(min, x));
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A bounded random walk kept in `state[key]`, starting uniformly inside [min, max]. */
function walk(input: TelemetryInput, key: string, step: number, min: number, max: number): number {
  const { state, random } = input;
  const prev = state[key] ?? min + random() * (max - min);
  const next = clamp(prev + noise(random, step), min, max);
  state[key] = next;
  return next;
}

/** 0 at night, rising to 1 at the evening peak (19–22 h), with a smaller midday bump. */
function dailyUse(ts: number): number {
  const h = vnHour(ts);
  if (h < 5) return 0.05;
  if (h < 11) return 0.15 + (h - 5) * 0.05;
  if (h < 14) return 0.55;
  if (h < 18) return 0.4;
  if (h < 22) return 1;
  return 0.3;
}

export const TELEMETRY: Readonly<Record<string, TelemetryGenerator>> = {
  camera: (i) => ({
    // Without NTP a camera's clock drifts slowly; it matters because recordings are evidence.
    clockDriftSec: round(walk(i, 'clockDriftSec', 0.3, -20, 20)),
    bitrateKbps: Math.round(clamp(3800 + noise(i.random, 350), 500, 8000)),
    recordingOk: i.random() < 0.995 ? 1 : 0,
  }),
  loudspeaker: (i) => {
    // Commune broadcasts (phát thanh) run mornings and late afternoons.
    const h = vnHour(i.nowTs);
    const playing = (h >= 5.5 && h < 6.5) || (h >= 17 && h < 18) ? 1 : 0;
    return {
      volumePct: playing ? 75 : 0,
      rssiDbm: Math.round(clamp(-67 + noise(i.random, 4), -100, -30)),
      playing,
    };
  },
  'wifi-ap': (i) => {
    const clientCount = Math.max(0, Math.round(dailyUse(i.nowTs) * 35 + noise(i.random, 3)));
    return {
      [WIFI_CLIENTS_METRIC]: clientCount,
      throughputMbps: round(clamp(clientCount * 0.9 + noise(i.random, 2), 0, 300)),
      cpuPct: Math.round(clamp(8 + clientCount * 1.2 + noise(i.random, 3), 1, 100)),
    };
  },
  uplink: (i) => {
    const congested = dailyUse(i.nowTs) > 0.9;
    const spike = i.random() < 0.03;
    return {
      latencyMs: Math.round(
        clamp(28 + (congested ? 25 : 0) + (spike ? 250 : 0) + noise(i.random, 6), 2, 2000),
      ),
      lossPct: round(spike ? 2 + i.random() * 6 : clamp(noise(i.random, 0.2), 0, 100), 2),
      downMbps: round(clamp((congested ? 55 : 90) + noise(i.random, 8), 1, 1000)),
      upMbps: round(clamp((congested ? 25 : 40) + noise(i.random, 4), 1, 1000)),
    };
  },
  'network-equipment': (i) => ({
    latencyMs: Math.round(clamp(2 + noise(i.random, 1), 0, 500)),
    lossPct: 0,
    cpuPct: Math.round(clamp(20 + dailyUse(i.nowTs) * 30 + noise(i.random, 5), 1, 100)),
  }),
  'soil-sensor': (i) => {
    // Soil temperature lags the air: coolest near 6 h, warmest near 15 h.
    const phase = ((vnHour(i.nowTs) - 9) / 24) * 2 * Math.PI;
    const battery = (i.state.batteryPct ?? 80 + i.random() * 20) - 0.01;
    i.state.batteryPct = clamp(battery, 5, 100);
    return {
      soilMoisturePct: round(walk(i, 'soilMoisturePct', 0.6, 15, 45)),
      soilTempC: round(26 + 4 * Math.sin(phase) + noise(i.random, 0.3)),
      batteryPct: round(i.state.batteryPct),
      rssiDbm: Math.round(clamp(-108 + noise(i.random, 6), -140, -60)),
      snrDb: round(clamp(4 + noise(i.random, 3), -20, 15)),
    };
  },
  gateway: (i) => ({
    cpuPct: Math.round(clamp(15 + noise(i.random, 6), 1, 100)),
    memPct: Math.round(walk(i, 'memPct', 0.5, 30, 60)),
    spoolDepth: 0,
  }),
};
