import { TestSmtpServer } from '../setup/smtp.ts';
import { notifierConformance } from './notifier.suite.ts';

notifierConformance('email', async () => {
  const smtp = new TestSmtpServer();
  const port = await smtp.start();
  return {
    config: { host: '127.0.0.1', port, from: 'Canh Xã <canhxa@xa.vn>', user: 'canhxa', passwordRef: 'smtp' },
    secrets: { smtp: 'mat-khau' },
    target: { address: 'kythuat@xa.vn', username: 'kythuat.a' },
    received: () => smtp.mails.map((m) => m.text),
    misbehave: (mode) => {
      smtp.mode = mode;
    },
    stop: () => smtp.stop(),
  };
});
