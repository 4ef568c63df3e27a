import { createSocket, type Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

/** What the stand-in knows: names → addresses; some names fail or are never answered. */
export interface DnsZone {
  readonly records: Readonly<Record<string, readonly string[]>>;
  /** Names answered with SERVFAIL (rcode 2). */
  readonly servfail?: readonly string[];
  /** Names never answered (a resolver that hangs). */
  readonly silent?: readonly string[];
}

export interface DnsStandIn {
  readonly port: number;
  readonly queries: number;
  stop(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

/**
 * A tiny authoritative DNS server on loopback UDP speaking real DNS (RFC 1035 §4): one question per
 * query, A and AAAA answers, NXDOMAIN (rcode 3) for unknown names, NOERROR with no answer for a
 * known name without that record type, SERVFAIL on request, silence on request.
 */
export async function startDnsServer(zone: DnsZone): Promise<DnsStandIn> {
  const socket: Socket = createSocket('udp4');
  let queries = 0;
  socket.on('message', (msg, rinfo) => {
    queries++;
    const q = parseQuestion(msg);
    if (!q || zone.silent?.includes(q.name)) return;
    const addrs = zone.records[q.name];
    const rcode = zone.servfail?.includes(q.name) ? 2 : addrs === undefined ? 3 : 0;
    const answers = (addrs ?? []).filter((a) =>
      q.type === TYPE_A ? isIPv4(a) : q.type === TYPE_AAAA && isIPv6(a),
    );
    socket.send(answer(msg, q.end, q.type, rcode, rcode === 0 ? answers : []), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return {
    port: socket.address().port,
    get queries() {
      return queries;
    },
    stop: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

function parseQuestion(msg: Buffer): { name: string; type: number; end: number } | null {
  if (msg.length < 17 || msg.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let at = 12;
  while (at < msg.length && msg[at] !== 0) {
    const len = msg[at]!;
    labels.push(
      msg
        .subarray(at + 1, at + 1 + len)
        .toString('ascii')
        .toLowerCase(),
    );
    at += 1 + len;
  }
  if (at + 5 > msg.length) return null;
  return { name: labels.join('.'), type: msg.readUInt16BE(at + 1), end: at + 5 };
}

function answer(
  query: Buffer,
  questionEnd: number,
  type: number,
  rcode: number,
  addrs: readonly string[],
): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  header.writeUInt16BE(0x8180 | rcode, 2); // QR, RD copied as set, RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addrs.length, 6);
  const rrs = addrs.map((a) => {
    const rdata = type === TYPE_A ? Buffer.from(a.split('.').map(Number)) : ipv6Bytes(a);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question's name
    rr.writeUInt16BE(type, 2);
    rr.writeUInt16BE(1, 4); // class IN
    rr.writeUInt32BE(60, 6); // TTL
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...rrs]);
}

function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g || '0', 16), i * 2);
  });
  return out;
}
