import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifySignature } from '../../services/ioc/signature.ts';
import { notifierConformance } from './notifier.suite.ts';

notifierConformance('webhook', async () => {
  const secret = 'k'.repeat(40);
  const received: string[] = [];
  const hung: ServerResponse[] = [];
  let mode: 'ok' | 'fail' | 'hang' = 'ok';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (mode === 'hang') return void hung.push(res);
      if (mode === 'fail') return void res.writeHead(503).end();
      // A receiver that checks the signature, as the IOC receivers do.
      if (!verifySignature(secret, body, req.headers[SIGNATURE_HEADER.toLowerCase()] as string))
        return void res.writeHead(401).end();
      const doc = JSON.parse(body.toString('utf8')) as { data: { text?: string; id: number } };
      received.push(`${JSON.stringify(doc)}`);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    config: {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
      secretRef: 'alerts-webhook',
    },
    secrets: { 'alerts-webhook': secret },
    target: { address: '', username: null },
    received: () => received,
    misbehave: (m) => {
      mode = m;
    },
    stop: async () => {
      for (const r of hung) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
});
