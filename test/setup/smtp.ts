import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= / ?Q?) as nodemailer writes them. */
function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc: string, data: string) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(data, 'base64').toString('utf8')
        : Buffer.from(
            data
              .replace(/_/g, ' ')
              .replace(/=([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

function decodeBody(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable')
    return Buffer.from(
      body
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  return body;
}

/** Parses a single-part text mail (what the e-mail notifier sends). */
export function parseMail(raw: string): Omit<ReceivedMail, 'from' | 'to'> {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = new Map<string, string>();
  for (const line of head!.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  return {
    subject: decodeWords(headers.get('subject') ?? ''),
    text: decodeBody(rest.join('\n\n'), (headers.get('content-transfer-encoding') ?? '').toLowerCase())
      .replace(/\r\n/g, '\n')
      .trim(),
  };
}

/**
 * A real SMTP server (the `smtp-server` package) on a loopback port that keeps every mail it
 * accepts. `mode`: `fail` answers 451 (try later) to every recipient, `hang` never finishes DATA.
 */
export class TestSmtpServer {
  readonly mails: ReceivedMail[] = [];
  /** User names that signed in (AUTH). */
  readonly logins: string[] = [];
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 200,
    // Loopback only: plain-text AUTH is what a test of the notifier's credentials needs.
    allowInsecureAuth: true,
    onAuth: (auth, _session, cb) => {
      this.logins.push(auth.username ?? '');
      cb(null, { user: auth.username });
    },
    onRcptTo: (_addr, _session, cb) =>
      this.mode === 'fail' ? cb(Object.assign(new Error('try again later'), { responseCode: 451 })) : cb(),
    onData: (stream, session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (this.mode === 'hang') return;
        this.mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parseMail(Buffer.concat(chunks).toString('utf8')),
        });
        cb();
      });
    },
  });

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
