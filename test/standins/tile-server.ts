import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';

/**
 * A slippy-map tile server on loopback, as OpenStreetMap's answers it: GET /{z}/{x}/{y}.png gives
 * a 256×256 PNG (image/png), anything else 404. Each tile is one flat colour from its address, so
 * a screenshot shows the grid. It counts requests (the service's cache must spare it) and can be
 * taken down to play a commune office that lost its internet.
 */
export class TileServerStandIn {
  private server: Server | null = null;
  /** Tile requests answered, by "z/x/y". */
  readonly hits = new Map<string, number>();
  userAgents = new Set<string>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const m = /^\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url ?? '');
      if (!m) return void res.writeHead(404).end();
      const key = `${m[1]}/${m[2]}/${m[3]}`;
      this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
      this.userAgents.add(req.headers['user-agent'] ?? '');
      const [z, x, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
      res.writeHead(200, { 'content-type': 'image/png' }).end(solidPng(tileColour(z, x, y)));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get requests(): number {
    return [...this.hits.values()].reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

/** Pale land colours, alternating like a chessboard so tile edges show. */
function tileColour(z: number, x: number, y: number): [number, number, number] {
  return (x + y + z) % 2 ? [232, 240, 226] : [214, 230, 206];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A real 256×256 RGB PNG of one colour (PNG spec: signature, IHDR, IDAT, IEND). */
export function solidPng([r, g, b]: [number, number, number]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0);
  ihdr.writeUInt32BE(256, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, deflate, no filter, no interlace
  const row = Buffer.alloc(1 + 256 * 3);
  for (let i = 0; i < 256; i++) row.set([r, g, b], 1 + i * 3);
  const raw = Buffer.concat(Array.from({ length: 256 }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
