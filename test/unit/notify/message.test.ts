import { describe, expect, it } from 'vitest';
import { type AlertFacts, renderMessage, vnTime } from '../../../services/notify/message.ts';

const facts: AlertFacts = {
  id: 7,
  kind: 'down-for',
  ruleId: 'uplink-down',
  severity: 'critical',
  minutes: 5,
  deviceId: 'net-1',
  deviceName: 'Đường truyền NVH',
  typeLabel: { vi: 'Đường truyền', en: 'Internet line' },
  hamletName: 'Ấp 1',
  siteName: 'Nhà văn hóa ấp 1',
  state: 'down',
  reason: 'heartbeat-late',
  params: { seconds: 90 },
  sinceTs: Date.parse('2026-11-23T23:05:00Z'),
  resolvedTs: null,
  behind: Array.from({ length: 12 }, (_, i) => `Camera ${i + 1}`),
};

describe('alert messages', () => {
  it('writes Vietnam time as dd/mm/yyyy HH:mm whatever the server zone', () => {
    expect(vnTime(Date.parse('2026-11-23T23:05:00Z'))).toBe('24/11/2026 06:05');
  });

  it('says what, where, since when, why, what is behind it and how to acknowledge, in Vietnamese', () => {
    const m = renderMessage(facts, 'fire', 'vi', {
      publicBaseUrl: 'https://cx.example.vn/',
      maxLength: 4096,
    });
    expect(m.subject).toBe('[Canh Xã] Cảnh báo – Khẩn cấp: Đường truyền NVH, Ấp 1');
    expect(m.text.split('\n')).toEqual([
      m.subject,
      'Mất kết nối quá 5 phút',
      'Thiết bị: Đường truyền NVH (Đường truyền)',
      'Nơi: Nhà văn hóa ấp 1, Ấp 1',
      'Từ: 24/11/2026 06:05',
      'Nguyên nhân: Quá 90 giây không nhận tín hiệu',
      '12 thiết bị phía sau bị ảnh hưởng: Camera 1, Camera 2, Camera 3, Camera 4, Camera 5, Camera 6, Camera 7, Camera 8, Camera 9, Camera 10 (+2)',
      'Xác nhận đã nhận: https://cx.example.vn/#/alerts?ack=7',
    ]);
    expect(m.ackable).toBe(true);
  });

  it('in English for a user who asks, a recovery has no acknowledge link, and text is cut to the limit', () => {
    const m = renderMessage({ ...facts, resolvedTs: facts.sinceTs + 600_000 }, 'resolve', 'en', {
      publicBaseUrl: 'https://cx.example.vn',
      maxLength: 4096,
    });
    expect(m.subject).toBe('[Canh Xã] Resolved – Critical: Đường truyền NVH, Ấp 1');
    expect(m.text).toContain('Working again since 24/11/2026 06:15');
    expect(m.ackUrl).toBeUndefined();
    expect(m.ackable).toBe(false);
    expect(renderMessage(facts, 'fire', 'vi', { maxLength: 40 }).text).toHaveLength(40);
  });
});
