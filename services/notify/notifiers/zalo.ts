import { z } from 'zod';
import { SEVERITIES } from '../../../config/schema/alerts.ts';
import type { Message, Notifier, Target } from '../notifier.ts';
import { NotifyError } from '../notifier.ts';
import { memoryNotifierState } from '../notifier-state.ts';
import { ZaloTokens } from '../zalo-token.ts';

const SecretName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a secret name, e.g. "zalo-oa"');

/** Refreshed access tokens (services/notify/zalo-token.ts); the two secrets are named, never written. */
const OAuthSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).default('https://oauth.zaloapp.com/v4/oa/access_token'),
  /** The app's id in the Zalo for Developers console. */
  appId: z.string().regex(/^\d{1,30}$/, 'the app id shown in the Zalo for Developers console (digits)'),
  /** Name of the secret holding the app's secret key (sent as the `secret_key` header). */
  secretKeyRef: SecretName,
  /** Name of the secret holding the first refresh token; later ones are rotated into the database. */
  refreshTokenRef: SecretName,
  /** Refresh when the access token (about 25 h) has less than this left. */
  refreshBeforeMin: z.number().int().min(1).max(1440).default(60),
});

const ConfigSchema = z
  .strictObject({
    /** ZNS API base; a stand-in's address in tests. */
    apiUrl: z.url({ protocol: /^https?$/ }).default('https://business.openapi.zalo.me'),
    /** Name of the secret holding the Official Account's access token (notify-secrets.json or CANHXA_SECRET_<NAME>). */
    /** A fixed access token, for a short trial: without `oauth` it stops working after about 25 h. */
    tokenRef: SecretName.optional(),
    oauth: OAuthSchema.optional(),
    /** The approved ZNS template; its parameters are title, content, alert_id and link (docs/architecture.md). */
    templateId: z.string().regex(/^[0-9A-Za-z]{1,40}$/, 'the template id shown in the ZNS console'),
    /** ZNS is paid per message: only alerts of these severities go out (default: critical only). */
    severities: z.array(z.enum(SEVERITIES)).min(1).default(['critical']),
    /** Which events of such an alert are sent; reminders (`repeat`) are left to the free channels by default. */
    events: z
      .array(z.enum(['fire', 'escalate', 'refire', 'repeat', 'resolve']))
      .min(1)
      .default(['fire', 'escalate', 'refire', 'resolve']),
  })
  .refine((c) => c.tokenRef !== undefined || c.oauth !== undefined, {
    message:
      'give oauth (appId, secretKeyRef, refreshTokenRef: refreshed tokens) or tokenRef (a fixed access token)',
    path: ['oauth'],
  });
type ZaloConfig = z.output<typeof ConfigSchema>;

/**
 * ZNS error codes (developers.zalo.me, "Bảng mã lỗi ZNS") that say "not now": the app's request
 * rate (-32) or the OA's daily quota (-144). Retried with the dispatcher's backoff; every other
 * non-zero code is the provider's final word on that message (bad phone, no Zalo account, the
 * person refused this OA's messages, a template parameter refused).
 */
const RETRY_LATER: ReadonlySet<number> = new Set([-32, -144]);
/** Codes about our side (token, template, quota of the account) that retrying later may heal once fixed. */
const OPERATOR_CODES: ReadonlySet<number> = new Set([-124, -216, -113, -117, -115]);
/** "Access token invalid" (ZNS -124, the OA API -216): expired or revoked; with `oauth`, refreshed and sent again. */
const TOKEN_INVALID: ReadonlySet<number> = new Set([-124, -216]);

/** A Vietnamese phone number as ZNS wants it: 84 then the subscriber number, no plus, no leading 0. */
export function znsPhone(phone: string): string | null {
  const digits = phone.replace(/^\+/, '');
  const national = digits.startsWith('84') ? digits.slice(2) : digits.replace(/^0/, '');
  return /^[1-9]\d{8,9}$/.test(national) ? `84${national}` : null;
}

interface ZnsAnswer {
  error?: number;
  message?: string;
  data?: { msg_id?: string };
}

/**
 * Zalo Official Account template messages (ZNS): POST {apiUrl}/message/template with the OA's
 * `access_token` header and `{phone, template_id, template_data, tracking_id}`. ZNS answers HTTP
 * 200 even when it refuses: `error` non-zero with a `message`, which becomes the failure's reason.
 * Only text parameters are sent, never an image (a camera's snapshot never leaves the police page).
 */
export const zalo: Notifier<ZaloConfig> = {
  kind: 'zalo',
  label: { vi: 'Zalo (tin ZNS)', en: 'Zalo (ZNS messages)' },
  configSchema: ConfigSchema,
  exampleConfig: {
    apiUrl: 'https://business.openapi.zalo.me',
    oauth: {
      url: 'https://oauth.zaloapp.com/v4/oa/access_token',
      appId: '1234567890123456789',
      secretKeyRef: 'zalo-app-secret',
      refreshTokenRef: 'zalo-refresh',
      refreshBeforeMin: 60,
    },
    templateId: '312345',
    severities: ['critical'],
    events: ['fire', 'escalate', 'refire', 'resolve'],
  },
  contactField: 'phone',
  // The template's content parameter; ZNS refuses longer parameter values.
  maxLength: 400,
  secretRefs: (c) => [
    ...(c.tokenRef ? [c.tokenRef] : []),
    ...(c.oauth ? [c.oauth.secretKeyRef, c.oauth.refreshTokenRef] : []),
  ],
  create(c, ctx) {
    const tokens =
      c.oauth && new ZaloTokens(c.oauth, ctx.secret, ctx.state ?? memoryNotifierState(), ctx.now ?? Date.now);
    const post = async (token: string, body: unknown, signal: AbortSignal) => {
      let res: Response;
      try {
        res = await fetch(`${c.apiUrl.replace(/\/$/, '')}/message/template`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', access_token: token },
          body: JSON.stringify(body),
          signal,
        });
      } catch (err) {
        const e = err as Error;
        throw new NotifyError(`zalo: ${e.name === 'TimeoutError' ? 'no answer' : e.name}`);
      }
      return { res, answer: (await res.json().catch(() => ({}))) as ZnsAnswer };
    };
    return {
      accepts: (a) =>
        (c.severities as readonly string[]).includes(a.severity) &&
        (c.events as readonly string[]).includes(a.event),
      async send(m: Message, target: Target, signal: AbortSignal) {
        const phone = znsPhone(target.address);
        if (!phone) throw new NotifyError('zalo: not a Vietnamese phone number', { permanent: true });
        const body = {
          phone,
          template_id: c.templateId,
          template_data: {
            title: m.subject.slice(0, 100),
            content: m.text.slice(0, zalo.maxLength),
            alert_id: String(m.alertId),
            link: m.ackUrl ?? '',
          },
          // Lets the OA match ZNS delivery callbacks to the alert event; not a de-duplication key.
          tracking_id: `cx-${m.alertId}-${m.event}`,
        };
        const token = tokens ? await tokens.current(signal) : ctx.secret(c.tokenRef!);
        let { res, answer } = await post(token, body, signal);
        // Expired or revoked before its time: ZNS did not take the message, so one new token and
        // one more try cannot send it twice.
        if (tokens && TOKEN_INVALID.has(answer.error ?? 0))
          ({ res, answer } = await post(await tokens.refresh(token, signal), body, signal));
        if (res.ok && answer.error === 0) return { providerId: String(answer.data?.msg_id ?? 'zns') };
        const code = answer.error ?? res.status;
        // The provider's message, cut short: it is shown on the dashboard, and never holds the token.
        const said = String(answer.message ?? '').slice(0, 200);
        const why = `zalo: ${code} ${tokens ? tokens.redact(said) : said}`.trim();
        const permanent =
          res.ok && !RETRY_LATER.has(code) && !OPERATOR_CODES.has(code) && code !== -100 && code < 0;
        throw new NotifyError(why, { permanent });
      },
    };
  },
};
