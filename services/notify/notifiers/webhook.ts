import { z } from 'zod';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  sign,
  TIMESTAMP_HEADER,
} from '../../ioc/signature.ts';
import type { Message, Notifier } from '../notifier.ts';
import { NotifyError } from '../notifier.ts';

const ConfigSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** Name of the secret (32+ characters) that signs each body as the IOC feed does (docs/ioc.md). */
  secretRef: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a secret name, e.g. "alerts-webhook"'),
});
type WebhookConfig = z.output<typeof ConfigSchema>;

/**
 * A signed JSON POST of every alert event of its communes, with the IOC feed's headers and
 * HMAC-SHA256 signature; a 2xx answer is the receipt. The delivery id lets a receiver de-duplicate.
 */
export const webhook: Notifier<WebhookConfig> = {
  kind: 'webhook',
  label: { vi: 'Webhook có chữ ký', en: 'Signed webhook' },
  configSchema: ConfigSchema,
  exampleConfig: { url: 'https://ioc.example.vn/canhxa/alerts', secretRef: 'alerts-webhook' },
  contactField: null,
  maxLength: 100_000,
  secretRefs: (c) => [c.secretRef],
  create(c, ctx) {
    return {
      async send(m: Message, _target, signal) {
        const deliveryId = `alert:${m.alertId}:${m.event}`;
        const body = JSON.stringify({
          v: 1,
          id: deliveryId,
          event: `alert.${m.event}`,
          subject: m.subject,
          text: m.text,
          data: m.data,
        });
        let res: Response;
        try {
          res = await fetch(c.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json; charset=utf-8',
              'user-agent': 'CanhXa-Alerts/1',
              [SIGNATURE_HEADER]: sign(ctx.secret(c.secretRef), body),
              [TIMESTAMP_HEADER]: String(Date.now()),
              [EVENT_HEADER]: `alert.${m.event}`,
              [DELIVERY_HEADER]: deliveryId,
            },
            body,
            // The body and its signature go only where configured: a redirect is a failure.
            redirect: 'manual',
            signal,
          });
          await res.arrayBuffer().catch(() => undefined);
        } catch (err) {
          throw new NotifyError(`webhook: ${(err as Error).name}`);
        }
        if (res.status >= 200 && res.status < 300) return { providerId: deliveryId };
        const retryAfter = Number(res.headers.get('retry-after'));
        throw new NotifyError(`webhook: HTTP ${res.status}`, {
          ...(res.status === 429 && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
        });
      },
    };
  },
};
