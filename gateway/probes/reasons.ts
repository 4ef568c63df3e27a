/**
 * Every reason code the probes and the probe runtime give, with Vietnamese (the source) and
 * English text and the parameters each text names. Rendered at the edge in the reader's locale;
 * at merge this table joins the service's reason catalogue (services/shared/i18n).
 * Codes are stable: they are kept in intervals and config. Never rename one; add another.
 */
export interface ReasonText {
  readonly vi: string;
  readonly en: string;
  /** Every `{name}` placeholder used by both texts, and so the params a result must carry. */
  readonly params: readonly string[];
}

export const PROBE_REASONS = {
  ok: { vi: 'Hoạt động bình thường', en: 'Working normally', params: [] },
  'probe-timeout': {
    vi: 'Không trả lời trong {timeoutMs} ms',
    en: 'No answer within {timeoutMs} ms',
    params: ['timeoutMs'],
  },
  'probe-error': {
    vi: 'Không kiểm tra được thiết bị (lỗi giám sát): {message}',
    en: 'The device could not be checked (monitoring error): {message}',
    params: ['message'],
  },
  'probe-tool-missing': {
    vi: 'Máy gateway thiếu công cụ {tool}; cài bằng: {install}',
    en: 'The gateway lacks the {tool} tool; install it with: {install}',
    params: ['tool', 'install'],
  },
  'address-unroutable': {
    vi: 'Không có đường mạng tới địa chỉ {host} ({code})',
    en: 'No network route to address {host} ({code})',
    params: ['host', 'code'],
  },
  'address-unresolved': {
    vi: 'Không phân giải được tên {host}',
    en: 'The name {host} could not be resolved',
    params: ['host'],
  },
  'network-error': {
    vi: 'Lỗi mạng khi kết nối tới {host} ({code})',
    en: 'Network error connecting to {host} ({code})',
    params: ['host', 'code'],
  },
  'latency-high': {
    vi: 'Độ trễ cao: {latencyMs} ms (ngưỡng {thresholdMs} ms)',
    en: 'High latency: {latencyMs} ms (threshold {thresholdMs} ms)',
    params: ['latencyMs', 'thresholdMs'],
  },
  'icmp-loss': {
    vi: 'Mất {lossPct}% gói ping ({received}/{sent} gói trả lời)',
    en: '{lossPct}% of pings lost ({received}/{sent} answered)',
    params: ['lossPct', 'sent', 'received'],
  },
  'icmp-unreachable': {
    vi: 'Bộ định tuyến báo không tới được {host}',
    en: 'A router reports {host} unreachable',
    params: ['host'],
  },
  'tcp-refused': {
    vi: 'Cổng {host} từ chối kết nối',
    en: 'Port {host} refused the connection',
    params: ['host'],
  },
  'http-refused': {
    vi: 'Máy chủ web {host} từ chối kết nối',
    en: 'Web server {host} refused the connection',
    params: ['host'],
  },
  'http-status': {
    vi: 'Trang web trả mã {status}, cần {expected}',
    en: 'The web page answered status {status}, expected {expected}',
    params: ['status', 'expected'],
  },
  'http-body-mismatch': {
    vi: 'Nội dung trang không có "{pattern}"',
    en: 'The page content does not match "{pattern}"',
    params: ['pattern'],
  },
  'http-garbage': {
    vi: 'Máy chủ trả dữ liệu không phải HTTP ({code})',
    en: 'The server answered something that is not HTTP ({code})',
    params: ['code'],
  },
  'tls-invalid': {
    vi: 'Chứng chỉ TLS không hợp lệ ({code})',
    en: 'The TLS certificate is not valid ({code})',
    params: ['code'],
  },
  'tls-expiring': {
    vi: 'Chứng chỉ TLS còn {daysLeft} ngày là hết hạn (báo trước {thresholdDays} ngày)',
    en: 'The TLS certificate expires in {daysLeft} days (warning at {thresholdDays} days)',
    params: ['daysLeft', 'thresholdDays'],
  },
  'tls-expired': {
    vi: 'Chứng chỉ TLS đã hết hạn {daysAgo} ngày',
    en: 'The TLS certificate expired {daysAgo} days ago',
    params: ['daysAgo'],
  },
  'dns-nxdomain': {
    vi: 'Tên miền {name} không tồn tại (máy chủ DNS {server})',
    en: 'The name {name} does not exist (DNS server {server})',
    params: ['name', 'server'],
  },
  'dns-nodata': {
    vi: 'Tên {name} không có bản ghi {type}',
    en: 'The name {name} has no {type} record',
    params: ['name', 'type'],
  },
  'dns-servfail': {
    vi: 'Máy chủ DNS {server} báo lỗi ({code})',
    en: 'DNS server {server} reported a failure ({code})',
    params: ['server', 'code'],
  },
  'dns-refused': {
    vi: 'Máy chủ DNS {server} không nhận truy vấn',
    en: 'DNS server {server} refused the query',
    params: ['server'],
  },
  'dns-mismatch': {
    vi: 'Tên {name} trả về {got}, cần {expected}',
    en: 'The name {name} resolved to {got}, expected {expected}',
    params: ['name', 'got', 'expected'],
  },
  'snmp-timeout': {
    vi: 'Thiết bị {host} không trả lời SNMP (sai community hoặc mất kết nối)',
    en: 'Device {host} does not answer SNMP (wrong community or no connection)',
    params: ['host'],
  },
  'snmp-auth': {
    vi: 'Thiết bị từ chối người dùng SNMPv3 {user}: {message}',
    en: 'The device refused SNMPv3 user {user}: {message}',
    params: ['user', 'message'],
  },
  'snmp-bad-type': {
    vi: 'OID {oid} trả kiểu {got}, cần {expected}',
    en: 'OID {oid} answered type {got}, expected {expected}',
    params: ['oid', 'got', 'expected'],
  },
  'snmp-no-such': {
    vi: 'Thiết bị không có OID {oid}',
    en: 'The device has no OID {oid}',
    params: ['oid'],
  },
  'snmp-error': {
    vi: 'Lỗi SNMP: {message}',
    en: 'SNMP error: {message}',
    params: ['message'],
  },
  'if-down': {
    vi: 'Cổng mạng số {ifIndex} đang ngắt (trạng thái {status})',
    en: 'Network interface {ifIndex} is down (status {status})',
    params: ['ifIndex', 'status'],
  },
} as const satisfies Record<string, ReasonText>;

export type ProbeReasonCode = keyof typeof PROBE_REASONS;

export function isProbeReason(code: string): code is ProbeReasonCode {
  return Object.hasOwn(PROBE_REASONS, code);
}
