/**
 * The one catalogue of reason codes. A reason travels as `{ code, params }` and is rendered at the
 * edge in the reader's language from `reason.<code>` in services/shared/i18n (vi.json is the
 * source); test/unit/protocol/reasons.test.ts checks that every code has vi and en text whose
 * placeholders are exactly its params. A code is stable: it is kept in state intervals for ever, so
 * never rename or remove one (old intervals still need their text); add a new one instead.
 *
 * `wire`: an adapter, gateway or device may send it in a status document. The others are the
 * availability engine's own conclusions, which nobody outside may claim.
 */
export interface ReasonSpec {
  /** Names of the params, i.e. the `{placeholders}` of its text. */
  readonly params: readonly string[];
  readonly wire: boolean;
}

export const REASONS = {
  // The engine's own conclusions.
  heartbeat: { params: [], wire: false },
  message: { params: [], wire: false },
  'heartbeat-late': { params: ['seconds'], wire: false },
  /** Kept for intervals recorded before upstream-down named the upstream's name and type. */
  'uplink-down': { params: ['deviceId'], wire: false },
  /**
   * The one upstream this device depends on (or the root of its chain) is down. `type` is the
   * upstream's device type: the text is `reason.upstream-down.<type>` when the catalogue has one
   * (an internet line, a LoRa gateway, a Wi-Fi AP read differently), else `reason.upstream-down`.
   */
  'upstream-down': { params: ['deviceId', 'name', 'type'], wire: false },
  /** Every upstream is impaired and one is degraded (loss, latency): the device answers, poorly. Text by `type` too. */
  'upstream-degraded': { params: ['deviceId', 'name', 'type'], wire: false },
  /** Every one of several upstreams is down (`deviceIds`: their ids, comma-separated). */
  'upstreams-down': { params: ['deviceIds'], wire: false },
  'service-restart': { params: [], wire: false },
  'awaiting-evidence': { params: [], wire: false },
  'not-commissioned': { params: [], wire: false },
  maintenance: { params: [], wire: false },
  /** A verdict sent without a reason. */
  'reporter-verdict': { params: [], wire: false },
  /** Before reason codes: a gateway's free text. Kept for the intervals recorded then. */
  'gateway-report': { params: ['detail'], wire: false },
  // What a device says of itself.
  'last-will': { params: [], wire: true },
  'device-offline': { params: [], wire: true },
  // What an adapter or gateway says of a device it watches.
  /** A free-text reason from a gateway deployed before reason codes (status v1 with a string). */
  'gateway-text': { params: ['text'], wire: true },
  'no-reply': { params: ['timeoutMs'], wire: true },
  'connection-refused': { params: ['port'], wire: true },
  'auth-failed': { params: [], wire: true },
  'clock-drift': { params: ['seconds'], wire: true },
  'recording-stopped': { params: [], wire: true },
  'weak-signal': { params: ['rssiDbm'], wire: true },
  'no-uplink-heard': { params: ['minutes'], wire: true },
  // `unknown` verdicts: the adapter could not judge.
  'adapter-config': { params: ['detail'], wire: true },
  'adapter-crashed': { params: ['detail'], wire: true },
  'adapter-no-route': { params: ['detail'], wire: true },
  /**
   * The service's own probe gateway that reports for this device could not start (its disk buffer
   * cannot be opened, say): nobody is watching, so `unknown`, never `down`. Not for others to claim.
   */
  'adapter-not-running': { params: ['gatewayId'], wire: false },
  // What the network probes conclude (gateway/probes/); `unknown` when they could not judge.
  ok: { params: [], wire: true },
  'probe-timeout': { params: ['timeoutMs'], wire: true },
  'probe-error': { params: ['message'], wire: true },
  'probe-tool-missing': { params: ['tool', 'install'], wire: true },
  'address-unroutable': { params: ['host', 'code'], wire: true },
  'address-unresolved': { params: ['host'], wire: true },
  'network-error': { params: ['host', 'code'], wire: true },
  'latency-high': { params: ['latencyMs', 'thresholdMs'], wire: true },
  'icmp-loss': { params: ['lossPct', 'sent', 'received'], wire: true },
  'icmp-unreachable': { params: ['host'], wire: true },
  'tcp-refused': { params: ['host'], wire: true },
  'http-refused': { params: ['host'], wire: true },
  'http-status': { params: ['status', 'expected'], wire: true },
  'http-body-mismatch': { params: ['pattern'], wire: true },
  'http-garbage': { params: ['code'], wire: true },
  'tls-invalid': { params: ['code'], wire: true },
  'tls-expiring': { params: ['daysLeft', 'thresholdDays'], wire: true },
  'tls-expired': { params: ['daysAgo'], wire: true },
  /** A loudspeaker controller's status page answers but does not say what it played (play-status probe). */
  'play-status-unreadable': { params: ['detail'], wire: true },
  'dns-nxdomain': { params: ['name', 'server'], wire: true },
  'dns-nodata': { params: ['name', 'type'], wire: true },
  'dns-servfail': { params: ['server', 'code'], wire: true },
  'dns-refused': { params: ['server'], wire: true },
  'dns-mismatch': { params: ['name', 'got', 'expected'], wire: true },
  'snmp-timeout': { params: ['host'], wire: true },
  'snmp-auth': { params: ['user', 'message'], wire: true },
  'snmp-bad-type': { params: ['oid', 'got', 'expected'], wire: true },
  'snmp-no-such': { params: ['oid'], wire: true },
  'snmp-error': { params: ['message'], wire: true },
  'if-down': { params: ['ifIndex', 'status'], wire: true },
  // What the ONVIF camera probe concludes (gateway/probes/onvif.ts, issue #12).
  'onvif-refused': { params: ['host'], wire: true },
  'onvif-fault': { params: ['step', 'fault'], wire: true },
  'onvif-malformed': { params: ['step'], wire: true },
  /** The camera refused the credentials it was set up with (`service`: onvif, rtsp, snapshot). */
  'camera-auth-refused': { params: ['service', 'user'], wire: true },
  'rtsp-refused': { params: ['host'], wire: true },
  'rtsp-status': { params: ['status'], wire: true },
  'rtsp-garbage': { params: ['detail'], wire: true },
  'rtsp-no-video': { params: [], wire: true },
  'snapshot-failed': { params: ['status'], wire: true },
  'snapshot-undecodable': { params: ['detail'], wire: true },
  'camera-dark': { params: ['luminance', 'threshold'], wire: true },
  'camera-covered': { params: ['stddev', 'threshold'], wire: true },
  'camera-blurred': { params: ['sharpness', 'threshold'], wire: true },
  'camera-scene-moved': { params: ['distance', 'threshold'], wire: true },
  'camera-clock-drift': { params: ['seconds', 'thresholdSec'], wire: true },
  /** The camera's own tamper alarm is on (ONVIF event `topic`, e.g. VideoSource/GlobalSceneChange/ImagingService). */
  'camera-tampered': { params: ['topic'], wire: true },
  /** The camera reports its video signal lost (ONVIF event VideoSource/SignalLoss) on `source`. */
  'camera-signal-lost': { params: ['source'], wire: true },
  // LoRaWAN (gateway/lorawan/): a sensor that keeps sending one reading is broken, not dry.
  'frozen-value': { params: ['metric', 'hours'], wire: true },
  // Readings alert rules (services/alerts/rule-kinds/): a metric beyond its bound, a plot too dry or wet.
  'metric-above': { params: ['metric', 'value', 'bound'], wire: false },
  'metric-below': { params: ['metric', 'value', 'bound'], wire: false },
  'plot-dry': { params: ['plot', 'moisturePct', 'boundPct'], wire: false },
  'plot-wet': { params: ['plot', 'moisturePct', 'boundPct'], wire: false },
  // A scheduled report not in the archive (rule kind report-overdue), before and after its due date.
  'report-missing': { params: ['schedule', 'period', 'dueDate'], wire: false },
  'report-past-due': { params: ['schedule', 'period', 'dueDate'], wire: false },
  // Why a payload codec (gateway/lorawan/codecs/) could not read a frame; kept in the reject log.
  'payload-truncated': { params: ['bytes', 'expected'], wire: false },
  'payload-oversized': { params: ['bytes', 'max'], wire: false },
  'payload-wrong-fport': { params: ['fPort', 'expected'], wire: false },
  'payload-bad-crc': { params: ['got', 'expected'], wire: false },
  'payload-unknown-channel': { params: ['channel', 'offset'], wire: false },
  'payload-out-of-range': { params: ['metric', 'value'], wire: false },
  'payload-sensor-fault': { params: ['metric'], wire: false },
  'payload-empty': { params: [], wire: false },
  // Verdicts on a scheduled bulletin in one hamlet (services/broadcasts/); `names`: its speakers'.
  'broadcast-played': { params: ['names'], wire: false },
  'broadcast-pending': { params: [], wire: false },
  'broadcast-speaker-down': { params: ['names'], wire: false },
  'broadcast-uplink-down': { params: ['names'], wire: false },
  'broadcast-no-confirmation': { params: ['names'], wire: false },
  'broadcast-maintenance': { params: ['names'], wire: false },
  'broadcast-unknown': { params: [], wire: false },
} as const satisfies Readonly<Record<string, ReasonSpec>>;

export type ReasonCode = keyof typeof REASONS;
export type ReasonParams = Readonly<Record<string, string | number>>;
export interface Reason {
  readonly code: ReasonCode;
  readonly params: ReasonParams;
}

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];
/** The codes a status document may carry. */
export const WIRE_REASON_CODES = REASON_CODES.filter((c) => REASONS[c].wire) as [ReasonCode, ...ReasonCode[]];

/**
 * The catalogue key of a reason's text: `reason.<code>.<type>` when the params name a device
 * `type` and `hasKey` knows that variant, else `reason.<code>`. The service and the dashboard
 * both render through this, so a reason reads the same everywhere.
 */
export function reasonKey(code: string, params: ReasonParams, hasKey: (key: string) => boolean): string {
  const type = params.type;
  if (typeof type === 'string' && hasKey(`reason.${code}.${type}`)) return `reason.${code}.${type}`;
  return `reason.${code}`;
}

export function isReasonCode(s: string): s is ReasonCode {
  return Object.hasOwn(REASONS, s);
}
