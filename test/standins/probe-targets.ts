import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp, type Server as HttpServer, type RequestListener } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { type AddressInfo, createServer as createTcp, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Loopback targets for the probes, each honest about what it is. Close every one you start. */
export interface Closable {
  readonly port: number;
  close(): Promise<void>;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((r) => server.close(() => r()));
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

async function listen(server: Server): Promise<Closable> {
  const sockets = track(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server, sockets) };
}

/** An HTTP server answering every request with `handler`. */
export function httpServer(handler: RequestListener): Promise<Closable> {
  return listen(createHttp(handler) as HttpServer);
}

/** A public Wi-Fi captive portal's login page, as the community house's AP serves it. */
export const PORTAL_HTML =
  '<!doctype html><html lang="vi"><title>Wi-Fi miễn phí — Nhà văn hóa ấp 1</title><body>Đăng nhập Wi-Fi công cộng</body></html>';

/**
 * A self-signed certificate for 127.0.0.1 valid for `days` days (openssl CLI), in PEM.
 * https://docs.openssl.org/3.0/man1/openssl-req/
 */
export function selfSignedCert(days: number): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'cx-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        String(days),
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function httpsServer(tls: { key: Buffer; cert: Buffer }, handler: RequestListener): Promise<Closable> {
  return listen(createHttps(tls, handler) as unknown as Server);
}

/** Accepts connections and answers bytes that are not HTTP. */
export function garbageServer(): Promise<Closable> {
  return listen(createTcp((s) => s.end('\x00\x01SSH-garbage\r\nnot http at all\r\n\r\n')));
}

/** Accepts connections and never says a word: an HTTP server that hangs. */
export function silentServer(): Promise<Closable> {
  return listen(createTcp(() => {}));
}

/** A TCP listener that accepts (for the tcp probe). */
export function tcpListener(): Promise<Closable> {
  return listen(createTcp((s) => s.end()));
}

/** A loopback port with nothing listening (bound, then closed): connects are refused. */
export async function closedPort(): Promise<number> {
  const l = await tcpListener();
  await l.close();
  return l.port;
}

/**
 * A listener whose accept queue is full, so further SYNs are dropped and connect() hangs until
 * the caller gives up: a TCP target that does not answer, made by the kernel, not by a mock.
 * Node always accepts, so python3 holds the socket (listen(0), never accept) and one connection
 * of ours fills the queue.
 */
export async function blackholePort(): Promise<Closable> {
  const py: ChildProcess = spawn(
    'python3',
    [
      '-c',
      'import socket,sys\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    py.once('error', reject);
    py.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
  });
  const { connect } = await import('node:net');
  const filler = connect({ host: '127.0.0.1', port });
  filler.on('error', () => {});
  await new Promise<void>((r) => filler.once('connect', () => r()));
  return {
    port,
    async close() {
      filler.destroy();
      py.kill('SIGKILL');
      if (py.exitCode === null) await new Promise((r) => py.once('exit', r));
    },
  };
}
