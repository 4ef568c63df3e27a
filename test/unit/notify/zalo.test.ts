import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Message, NotifyError } from '../../../services/notify/notifier.ts';
import { zalo, znsPhone } from '../../../services/notify/notifiers/zalo.ts';
import { waitFor } from '../../setup/helpers.ts';
import { ZaloStandIn } from '../../standins/zalo.ts';
import { alertSetup } from '../alerts/fixture.ts';

const MIN = 60_000;

const message: Message = {
  alertId: 7,
  event: 'fire',
  subject: '[Canh Xã] Cảnh báo – Khẩn cấp: Đường truyền NVH, Ấp 1',
  text: 'Đường truyền NVH mất kết nối',
  ackUrl: 'https://canhxa.example.vn/#/alerts?ack=7',
  ackable: true,
  data: { id: 7 },
};

describe('zalo notifier (ZNS)', () => {
  const api = new ZaloStandIn();
  let url = '';
  beforeAll(async () => {
    url = await api.start();
  });
  afterAll(() => api.stop());
  const instance = (over: Record<string, unknown> = {}, token = api.token) =>
    zalo.create(
      zalo.configSchema.parse({ apiUrl: url, tokenRef: 'zalo-oa', templateId: '312345', ...over }),
      {
        secret: () => token,
      },
    );

  it('writes Vietnamese phone numbers as 84 and the subscriber number, and refuses others', () => {
    expect(znsPhone('+84912345678')).toBe('84912345678');
    expect(znsPhone('0912345678')).toBe('84912345678');
    expect(znsPhone('84912345678')).toBe('84912345678');
    expect(znsPhone('+1555')).toBeNull();
  });

  it('sends the template with text parameters only, never an image, and gives ZNS msg_id as receipt', async () => {
    api.mode = 'ok';
    const r = await instance().send(
      message,
      { address: '0912345678', username: 'x' },
      AbortSignal.timeout(5000),
    );
    const got = api.sent.at(-1)!;
    expect(r.providerId).toBe(got.msgId);
    expect(Object.keys(got.body).sort()).toEqual(['phone', 'template_data', 'template_id', 'tracking_id']);
    expect(got.phone).toBe('84912345678');
    expect(got.templateId).toBe('312345');
    expect(got.data).toEqual({
      title: message.subject,
      content: message.text,
      alert_id: '7',
      link: message.ackUrl,
    });
    expect(Object.values(got.data).every((v) => typeof v === 'string')).toBe(true);
  });

  it('an error answered with HTTP 200 is a failure with its message: quota later, a bad phone or token never a receipt', async () => {
    api.mode = 'quota';
    const quota = await instance()
      .send(message, { address: '0912345678', username: 'x' }, AbortSignal.timeout(5000))
      .catch((e: NotifyError) => e);
    expect(quota).toBeInstanceOf(NotifyError);
    expect((quota as NotifyError).message).toBe('zalo: -144 OA has exceeded daily quota for ZNS');
    expect((quota as NotifyError).permanent).toBe(false);
    api.mode = 'ok';
    const token = await instance({}, 'wrong')
      .send(message, { address: '0912345678', username: 'x' }, AbortSignal.timeout(5000))
      .catch((e: NotifyError) => e);
    // A wrong or expired token is ours to fix: kept for a retry, never quoted in the error.
    expect((token as NotifyError).permanent).toBe(false);
    expect((token as NotifyError).message).not.toContain('wrong');
    const phone = await instance()
      .send(message, { address: '+1555', username: 'x' }, AbortSignal.timeout(5000))
      .catch((e: NotifyError) => e);
    expect((phone as NotifyError).permanent).toBe(true);
  });

  it('takes only the configured severities and events (paid per message)', () => {
    const z = instance();
    expect(z.accepts!({ severity: 'critical', event: 'fire', deviceType: 'uplink' })).toBe(true);
    expect(z.accepts!({ severity: 'warning', event: 'fire', deviceType: 'uplink' })).toBe(false);
    expect(z.accepts!({ severity: 'critical', event: 'repeat', deviceType: 'uplink' })).toBe(false);
    expect(
      instance({ severities: ['warning'] }).accepts!({ severity: 'warning', event: 'fire', deviceType: 'x' }),
    ).toBe(true);
  });

  it('the engine queues Zalo only for critical alerts, to users with a phone', () => {
    const s = alertSetup({
      alerts: {
        notifiers: [
          { name: 'zns', kind: 'zalo', config: { apiUrl: url, tokenRef: 'zalo', templateId: '1' } },
        ],
      },
    });
    s.uplinkDown(); // critical
    s.set('soil-1', 'down', 'last-will');
    s.advance(70 * MIN);
    const rows = s.outbox();
    expect(rows.map((r) => `${r.username}:${r.event}`)).toEqual(['kythuat.a:fire']);
    expect(rows.every((r) => r.notifier === 'zns')).toBe(true);
    const open = s.engine.alerts.open();
    const critical = open.filter((a) => a.severity === 'critical').map((a) => a.id);
    expect(critical.length).toBe(1);
    expect(open.some((a) => a.severity !== 'critical')).toBe(true);
    expect(rows.every((r) => critical.includes(r.alertId))).toBe(true);
  });

  /** The alert engine with the one Zalo notifier, retrying fast, its token from the secrets. */
  const znsSetup = () =>
    alertSetup({
      alerts: {
        retryBaseMs: 20,
        retryMaxMs: 200,
        notifiers: [
          { name: 'zns', kind: 'zalo', config: { apiUrl: url, tokenRef: 'zalo', templateId: '1' } },
        ],
      },
      secrets: { zalo: api.token },
    });

  it('a quota answer is retried with backoff until ZNS takes it, once', async () => {
    api.mode = 'quota';
    const before = api.sent.length;
    const s = znsSetup();
    s.alerting.dispatcher.start();
    try {
      s.uplinkDown();
      s.advance(6 * MIN);
      const zns = () => s.alerting.dispatcher.status()[0]!;
      // The service's clock is the test's: each look moves it a second, past the backoff.
      await waitFor(
        () => {
          s.advance(1000);
          return zns().failedAttempts >= 2;
        },
        'quota refusals retried',
        20_000,
      );
      expect(zns().lastError).toBe('zalo: -144 OA has exceeded daily quota for ZNS');
      expect(zns().pending).toBe(1);
      api.mode = 'ok';
      await waitFor(
        () => {
          s.advance(1000);
          return zns().pending === 0;
        },
        'sent once the quota is back',
        20_000,
      );
      expect(api.sent.length - before).toBe(1);
    } finally {
      await s.alerting.dispatcher.stop();
    }
  });

  it('an error that echoes the access token is shown and kept without it', async () => {
    api.mode = 'fail';
    api.failMessage = `token ${api.token} rejected`;
    const s = znsSetup();
    s.alerting.dispatcher.start();
    try {
      s.uplinkDown();
      s.advance(6 * MIN);
      const zns = () => s.alerting.dispatcher.status()[0]!;
      await waitFor(() => zns().failedAttempts >= 1, 'a failure', 20_000);
      expect(zns().lastError).toBe('zalo: -100 token [redacted] rejected');
      const stored = s.db.prepare('SELECT last_error FROM notify_outbox').pluck().all();
      expect(JSON.stringify(stored)).not.toContain(api.token);
    } finally {
      api.mode = 'ok';
      api.failMessage = 'Unknown error';
      await s.alerting.dispatcher.stop();
    }
  });
});
