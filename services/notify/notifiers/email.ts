import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { Message, Notifier, Target } from '../notifier.ts';
import { NotifyError } from '../notifier.ts';

const ConfigSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(587),
  /** true for SMTPS (port 465); false upgrades with STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().optional(),
  /** Name of the secret holding the SMTP password (notify-secrets.json or CANHXA_SECRET_<NAME>). */
  passwordRef: z.string().optional(),
  from: z.string().min(3, 'the sender, e.g. "Canh Xã <canhxa@xa.gov.vn>"'),
});
type EmailConfig = z.output<typeof ConfigSchema>;

/** E-mail over SMTP through nodemailer; the receipt is the server's queue id from its 250 reply. */
export const email: Notifier<EmailConfig> = {
  kind: 'email',
  label: { vi: 'Thư điện tử', en: 'E-mail' },
  configSchema: ConfigSchema,
  exampleConfig: {
    host: 'smtp.example.vn',
    port: 587,
    secure: false,
    user: 'canhxa',
    passwordRef: 'smtp',
    from: 'Canh Xã <canhxa@example.vn>',
  },
  contactField: 'email',
  maxLength: 100_000,
  secretRefs: (c) => (c.passwordRef ? [c.passwordRef] : []),
  create(c, ctx) {
    return {
      async send(m: Message, target: Target, signal: AbortSignal) {
        const transport = nodemailer.createTransport({
          host: c.host,
          port: c.port,
          secure: c.secure,
          ...(c.user ? { auth: { user: c.user, pass: c.passwordRef ? ctx.secret(c.passwordRef) : '' } } : {}),
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 15_000,
        });
        const aborted = new Promise<never>((_, reject) => {
          const fail = () => reject(new NotifyError('email: aborted'));
          if (signal.aborted) fail();
          signal.addEventListener('abort', fail, { once: true });
        });
        try {
          const info = await Promise.race([
            transport.sendMail({
              from: c.from,
              to: target.address,
              subject: m.subject,
              text: m.text,
            }),
            aborted,
          ]);
          if (info.rejected.length > 0)
            throw new NotifyError(`email: recipient refused`, { permanent: true });
          return { providerId: String(info.messageId ?? info.response) };
        } catch (err) {
          if (err instanceof NotifyError) throw err;
          const e = err as Error & { responseCode?: number; code?: string };
          // 5xx on the recipient or content is the server's final word (RFC 5321 §4.2.1).
          const permanent = e.responseCode !== undefined && e.responseCode >= 500 && e.code !== 'EAUTH';
          throw new NotifyError(`email: ${e.code ?? ''} ${e.responseCode ?? ''}`.trim(), { permanent });
        } finally {
          transport.close();
        }
      },
    };
  },
};
