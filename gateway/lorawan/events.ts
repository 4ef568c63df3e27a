import type { z } from 'zod';
import type { Channel } from '../../services/protocol/topics.ts';
import type { Metrics } from './codecs/codec.ts';
import type { LorawanReject, LorawanSensor, WireMessage } from './decoder.ts';
import type { EVENT_SCHEMAS, LogEventDoc, StatusEventDoc, UpEventDoc } from './envelope.ts';
import { joinStorm, type LinkState, lostUplinksPct, placeFrame, watchFrozen } from './link-health.ts';

/** What an event handler works on, and what it adds to. */
export interface EventContext {
  readonly sensor: LorawanSensor;
  readonly link: LinkState;
  /** The event's own time (ChirpStack's), epoch ms. */
  readonly ts: number;
  readonly messages: WireMessage[];
  readonly rejects: LorawanReject[];
}

type Doc<E extends keyof typeof EVENT_SCHEMAS> = z.output<(typeof EVENT_SCHEMAS)[E]>;

function emit(ctx: EventContext, channel: Channel, body: Record<string, unknown>): void {
  ctx.messages.push({
    communeId: ctx.sensor.communeId,
    deviceId: ctx.sensor.deviceId,
    channel,
    doc: { v: 1, ts: ctx.ts, ...body },
  });
}

function event(
  ctx: EventContext,
  type: string,
  severity: 'info' | 'warning' | 'critical',
  detail: Record<string, string | number | boolean>,
): void {
  emit(ctx, 'event', { type, severity, detail });
}

/** The best gateway (strongest RSSI) and how many heard the frame. */
function radio(up: UpEventDoc): Record<string, number> {
  const best = up.rxInfo.reduce<UpEventDoc['rxInfo'][number] | undefined>(
    (b, r) => (!b || r.rssi > b.rssi ? r : b),
    undefined,
  );
  if (!best) return {};
  return { rssiDbm: best.rssi, snrDb: best.snr, gatewayCount: up.rxInfo.length };
}

/** ChirpStack's decoded `object` when it holds fields the model's codec knows; else our codec on `data`. */
function readings(ctx: EventContext, up: UpEventDoc): Metrics | undefined {
  const { codec } = ctx.sensor;
  const fromObject = up.object ? codec.fromObject(up.object) : null;
  if (fromObject) return fromObject;
  const r = codec.decode(up.fPort, Buffer.from(up.data, 'base64'));
  if ('metrics' in r) return r.metrics;
  const reason = r.error.code === 'payload-wrong-fport' ? 'lorawan-wrong-fport' : 'lorawan-undecodable';
  ctx.rejects.push({
    reason,
    detail: `fCnt ${up.fCnt} fPort ${up.fPort}: ${r.error.code} ${JSON.stringify(r.error.params)}`,
  });
  return undefined;
}

const up = (ctx: EventContext, doc: Doc<'up'>): void => {
  const frame = placeFrame(ctx.link, doc.fCnt);
  if (frame.kind === 'duplicate') {
    ctx.rejects.push({
      reason: 'lorawan-duplicate-frame',
      detail: `fCnt ${doc.fCnt} again (deduplicationId ${doc.deduplicationId ?? '-'})`,
    });
    return;
  }
  if (frame.kind === 'reset') event(ctx, 'lorawan-fcnt-reset', 'warning', { from: frame.from, to: doc.fCnt });
  const heard = radio(doc);
  if (heard.rssiDbm !== undefined)
    ctx.link.radio = {
      ts: ctx.ts,
      rssiDbm: heard.rssiDbm,
      snrDb: heard.snrDb!,
      gatewayCount: heard.gatewayCount!,
    };
  const metrics: Record<string, number> = { ...readings(ctx, doc), ...heard };
  const lost = lostUplinksPct(ctx.link);
  if (lost !== undefined) metrics.lostUplinksPct = lost;
  const moisture = metrics.soilMoisturePct;
  if (moisture !== undefined) {
    const change = watchFrozen(ctx.link, moisture, ctx.ts, ctx.sensor.frozenAfterMs);
    const hours = Math.round((ctx.sensor.frozenAfterMs / 3_600_000) * 10) / 10;
    // Before the heartbeat: the verdict is in place when the uplink is heard, so no blink of `up`.
    if (change === 'froze')
      emit(ctx, 'status', {
        state: 'degraded',
        reason: { code: 'frozen-value', params: { metric: 'soilMoisturePct', hours } },
      });
    else if (change === 'thawed') emit(ctx, 'status', { state: 'up' });
  }
  // The network server relays the sensor's own uplink: its heartbeat is the sensor's sign of life.
  emit(ctx, 'heartbeat', { seq: doc.fCnt });
  if (Object.keys(metrics).length > 0) emit(ctx, 'telemetry', { metrics });
};

const status = (ctx: EventContext, doc: StatusEventDoc): void => {
  const metrics: Record<string, number> = { linkMarginDb: doc.margin };
  if (!doc.batteryLevelUnavailable && !doc.externalPowerSource) metrics.batteryPct = doc.batteryLevel;
  emit(ctx, 'telemetry', { metrics });
};

const join = (ctx: EventContext, doc: Doc<'join'>): void => {
  event(ctx, 'lorawan-join', 'info', { devAddr: doc.devAddr ?? '' });
  if (joinStorm(ctx.link, ctx.ts))
    event(ctx, 'lorawan-join-storm', 'warning', { joins: ctx.link.joins.length, windowMin: 60 });
};

const ack = (ctx: EventContext, doc: Doc<'ack'>): void =>
  event(ctx, 'lorawan-ack', doc.acknowledged ? 'info' : 'warning', {
    acknowledged: doc.acknowledged,
    fCntDown: doc.fCntDown,
  });

const txack = (ctx: EventContext, doc: Doc<'txack'>): void =>
  event(ctx, 'lorawan-txack', 'info', { gatewayId: doc.gatewayId, fCntDown: doc.fCntDown });

/** ChirpStack's LogCode names; a counter reset and a retransmission get their own event types. */
const LOG_TYPES: Readonly<Record<string, string>> = {
  UPLINK_F_CNT_RESET: 'lorawan-fcnt-reset',
  UPLINK_F_CNT_RETRANSMISSION: 'lorawan-fcnt-retransmission',
};

const log = (ctx: EventContext, doc: LogEventDoc): void => {
  const severity = doc.level === 'ERROR' ? 'critical' : doc.level === 'WARNING' ? 'warning' : 'info';
  if (doc.code === 'UPLINK_F_CNT_RESET') {
    ctx.link.lastFCnt = null;
    ctx.link.fCntResets += 1;
  }
  event(ctx, LOG_TYPES[doc.code] ?? 'lorawan-log', severity, {
    code: doc.code,
    description: doc.description.slice(0, 500),
  });
};

/** One small handler per ChirpStack event. */
export const EVENT_HANDLERS = { up, status, join, ack, txack, log } as const;
