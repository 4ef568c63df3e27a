import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcp, type Server, type Socket } from 'node:net';
import { type Scene, sceneJpeg } from './camera-scene.ts';
import { type EventsMode, type EventTopic, StandInEvents } from './onvif-events.ts';
import { type DiscoveryResponder, startDiscoveryResponder } from './ws-discovery.ts';

/**
 * A high-mast ONVIF camera on loopback, speaking the real protocols so the `onvif` package and our
 * RTSP and snapshot clients run unchanged against it:
 *
 * - ONVIF Core: SOAP 1.2 over HTTP, every operation but GetSystemDateAndTime behind WS-Security
 *   UsernameToken PasswordDigest = Base64(SHA-1(nonce + created + password)) (OASIS WSS
 *   UsernameToken Profile 1.1 §3.1), `created` within ±300 s of the camera's own clock (ONVIF
 *   Core §5.12.2 leaves the window to the device; 5 minutes is what the common firmwares use).
 *   A refused token is HTTP 400 with the fault `ter:NotAuthorized` (ONVIF Core §5.11.2.2).
 * - RTSP 1.0 (RFC 2326) over TCP: OPTIONS, DESCRIBE behind digest auth (RFC 2617 without qop, as
 *   most camera firmwares challenge), an SDP (RFC 4566) with an H.264 video track.
 * - The snapshot over HTTP with digest auth (RFC 7616, qop=auth, MD5), a JPEG of its scene.
 * - ONVIF Events with pull-point subscriptions (./onvif-events.ts): tamper and signal loss.
 * - WS-Discovery (./ws-discovery.ts) when started `discoverable`: a ProbeMatch naming its XAddr.
 *
 * Every misbehaviour a field camera shows can be set at any time with `set()`.
 */
export interface CameraBehaviour {
  /** Both ports refuse connections (the servers stop listening). */
  offline: boolean;
  /** Connections are accepted and never answered. */
  hang: boolean;
  /** The camera's clock runs this many seconds ahead (negative: behind) of the real one. */
  driftSec: number;
  scene: Scene;
  /** `refuse`: the RTSP port refuses connections; `no-video`: the SDP carries audio only. */
  stream: 'ok' | 'refuse' | 'no-video';
  /** Someone changed the password on the camera: every credential is refused. */
  refuseCredentials: boolean;
  /** Authenticated SOAP calls are answered with malformed XML (a firmware bug, a proxy's page). */
  garbage: boolean;
  /** `ok`: the Events service is advertised and answers; `none`: not offered; `malformed`: broken answers. */
  events: EventsMode;
}

export interface CameraInfo {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
}

export interface OnvifCameraStandIn {
  readonly host: string;
  /** ONVIF and snapshot HTTP port. */
  readonly port: number;
  readonly rtspPort: number;
  readonly username: string;
  readonly password: string;
  readonly info: CameraInfo;
  set(change: Partial<CameraBehaviour>): Promise<void>;
  setInfo(change: Partial<CameraInfo>): void;
  /** Raises (true) or clears (false) a property event on every pull-point subscription. */
  raiseEvent(topic: EventTopic, active: boolean): void;
  /** Pull-point subscriptions alive now. */
  readonly eventSubscriptions: number;
  /** Its WS-Discovery endpoint reference (urn:uuid:…) when started `discoverable`. */
  readonly discoveryEndpoint: string | undefined;
  /** Requests seen, by operation (`GetDeviceInformation`, `DESCRIBE`, `snapshot`). */
  readonly requests: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

const SOAP_ENV = 'http://www.w3.org/2003/05/soap-envelope';
const WINDOW_SEC = 300;
const REALM = 'IP Camera(canhxa-standin)';

/** Rendered JPEGs, shared by every stand-in: a few frames per scene (sensor noise differs). */
const FRAMES = 2;
const jpegCache = new Map<string, Buffer>();
/**
 * Renders a scene's frames ahead (at start and when the scene is set): a real camera serves its
 * snapshot at once, so the probe's time must not be spent drawing the stand-in's picture.
 */
function prerender(scene: Scene): void {
  for (let n = 0; n < FRAMES; n++) snapshot(scene, n);
}
function snapshot(scene: Scene, n: number): Buffer {
  const key = `${scene}/${n % FRAMES}`;
  let j = jpegCache.get(key);
  if (!j) {
    j = sceneJpeg(scene, n % FRAMES);
    jpegCache.set(key, j);
  }
  return j;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** `Digest a="b", c=d` → { a: 'b', c: 'd' }. */
function digestParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g))
    out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  return out;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startOnvifCamera(
  opts: {
    username?: string;
    password?: string;
    info?: Partial<CameraInfo>;
    behaviour?: Partial<CameraBehaviour>;
    /** Answers WS-Discovery probes (binds UDP 3702 shared with other responders). */
    discoverable?: boolean;
    /** A loopback address (the demo gives each camera its own 127.x.y.z, as its commune file says). */
    host?: string;
    /** ONVIF/snapshot port; 0 (default): a free one. The RTSP port is always free: GetStreamUri names it. */
    port?: number;
  } = {},
): Promise<OnvifCameraStandIn> {
  const host = opts.host ?? '127.0.0.1';
  const username = opts.username ?? 'canhxa';
  // ASCII: the onvif package hashes the password as 'ascii' (lib/cam.js _passwordDigest), as most
  // camera firmwares only accept ASCII passwords anyway.
  const password = opts.password ?? 'Canhxa-cam-2026';
  const info: CameraInfo = {
    manufacturer: 'Hikvision',
    model: 'DS-2CD2T47G2-L',
    firmwareVersion: 'V5.7.3 build 220112',
    serialNumber: `DS-2CD2T47G2-L20220101AACH${randomBytes(4).toString('hex').toUpperCase()}`,
    ...opts.info,
  };
  const b: CameraBehaviour = {
    offline: false,
    hang: false,
    driftSec: 0,
    scene: 'normal',
    stream: 'ok',
    refuseCredentials: false,
    garbage: false,
    events: 'ok',
    ...opts.behaviour,
  };
  const requests: Record<string, number> = {};
  const count = (op: string) => {
    requests[op] = (requests[op] ?? 0) + 1;
  };
  const cameraNow = () => Date.now() + b.driftSec * 1000;
  const usedNonces = new Set<string>();
  const httpNonces = new Set<string>();
  let frame = 0;
  let ports = { http: 0, rtsp: 0 };

  function wsSecurityOk(xml: string): boolean {
    const user = /<(?:\w+:)?Username>([^<]*)</.exec(xml)?.[1];
    const digest = /<(?:\w+:)?Password[^>]*>([^<]*)</.exec(xml)?.[1];
    const nonce = /<(?:\w+:)?Nonce[^>]*>([^<]*)</.exec(xml)?.[1];
    const created = /<(?:\w+:)?Created[^>]*>([^<]*)</.exec(xml)?.[1];
    if (!user || !digest || !nonce || !created || b.refuseCredentials || user !== username) return false;
    const createdTs = Date.parse(created);
    if (!Number.isFinite(createdTs) || Math.abs(createdTs - cameraNow()) > WINDOW_SEC * 1000) return false;
    // WSS UsernameToken §3.1: a nonce is used once, within the window.
    if (usedNonces.has(nonce)) return false;
    usedNonces.add(nonce);
    if (usedNonces.size > 10_000) usedNonces.clear();
    const expected = createHash('sha1')
      .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created), Buffer.from(password)]))
      .digest('base64');
    return sameText(expected, digest);
  }

  function soap(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_ENV}" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:ter="http://www.onvif.org/ver10/error"><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`,
    );
  }

  const notAuthorized = (res: ServerResponse) =>
    soap(
      res,
      400,
      '<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NotAuthorized</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Sender not authorized</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>',
    );

  function dateTime(): string {
    const d = new Date(cameraNow());
    return `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>ICT-7</tt:TZ></tt:TimeZone><tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`;
  }

  const base = () => `http://${host}:${ports.http}`;
  const events = new StandInEvents(base, cameraNow, soap);
  const eventsXAddr = () =>
    b.events === 'none'
      ? ''
      : `<tt:Events><tt:XAddr>${base()}/onvif/event_service</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport><tt:WSPullPointSupport>true</tt:WSPullPointSupport></tt:Events>`;
  const operations: Record<string, () => string> = {
    GetCapabilities: () =>
      `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${base()}/onvif/device_service</tt:XAddr></tt:Device><tt:Media><tt:XAddr>${base()}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>${eventsXAddr()}</tds:Capabilities></tds:GetCapabilitiesResponse>`,
    GetServices: () =>
      `<tds:GetServicesResponse><tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace><tds:XAddr>${base()}/onvif/device_service</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service><tds:Service><tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace><tds:XAddr>${base()}/onvif/media_service</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>${b.events === 'none' ? '' : `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/events/wsdl</tds:Namespace><tds:XAddr>${base()}/onvif/event_service</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`}</tds:GetServicesResponse>`,
    GetDeviceInformation: () =>
      `<tds:GetDeviceInformationResponse><tds:Manufacturer>${info.manufacturer}</tds:Manufacturer><tds:Model>${info.model}</tds:Model><tds:FirmwareVersion>${info.firmwareVersion}</tds:FirmwareVersion><tds:SerialNumber>${info.serialNumber}</tds:SerialNumber><tds:HardwareId>88</tds:HardwareId></tds:GetDeviceInformationResponse>`,
    GetVideoSources: () =>
      '<trt:GetVideoSourcesResponse><trt:VideoSources token="VideoSource_1"><tt:Framerate>25</tt:Framerate><tt:Resolution><tt:Width>2688</tt:Width><tt:Height>1520</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>',
    GetProfiles: () =>
      '<trt:GetProfilesResponse><trt:Profiles token="Profile_1" fixed="true"><tt:Name>mainStream</tt:Name><tt:VideoSourceConfiguration token="VideoSourceToken"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSource_1</tt:SourceToken><tt:Bounds x="0" y="0" width="2688" height="1520"/></tt:VideoSourceConfiguration><tt:VideoEncoderConfiguration token="VideoEncoderToken_1"><tt:Name>VideoEncoder_1</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>2688</tt:Width><tt:Height>1520</tt:Height></tt:Resolution><tt:Quality>3</tt:Quality><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>4096</tt:BitrateLimit></tt:RateControl></tt:VideoEncoderConfiguration></trt:Profiles></trt:GetProfilesResponse>',
    GetStreamUri: () =>
      `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://${host}:${ports.rtsp}/Streaming/Channels/101?transportmode=unicast&amp;profile=Profile_1</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`,
    GetSnapshotUri: () =>
      `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${base()}/onvif-http/snapshot?Profile_1</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>`,
  };

  function onSoap(xml: string, url: string, res: ServerResponse): void {
    const op = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)/.exec(xml)?.[1] ?? 'unknown';
    count(op);
    if (op === 'GetSystemDateAndTime') {
      if (b.garbage)
        return void res.end('<?xml version="1.0"?><SOAP-ENV:Envelope><SOAP-ENV:Body><tds:GetSystemDa');
      return soap(res, 200, dateTime());
    }
    if (!wsSecurityOk(xml)) return notAuthorized(res);
    if (b.garbage) {
      res.writeHead(200, { 'content-type': 'application/soap+xml' });
      return void res.end('<html><body>502 Bad Gateway</body>');
    }
    if (b.events !== 'none' && events.handle(op, xml, url, res, b.events)) return;
    const answer = operations[op];
    if (!answer)
      return soap(
        res,
        400,
        '<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Receiver</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:ActionNotSupported</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Optional Action Not Implemented</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>',
      );
    soap(res, 200, answer());
  }

  /** RFC 7616 §3.4.1 with qop=auth and MD5. */
  function httpDigestOk(req: IncomingMessage): boolean {
    const h = req.headers.authorization;
    if (!h || !/^Digest /i.test(h) || b.refuseCredentials) return false;
    const p = digestParams(h);
    if (p.username !== username || !p.nonce || !httpNonces.has(p.nonce) || p.qop !== 'auth') return false;
    const ha1 = md5(`${username}:${REALM}:${password}`);
    const ha2 = md5(`${req.method}:${p.uri}`);
    const expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
    return p.uri === req.url && sameText(expected, p.response ?? '');
  }

  function onSnapshot(req: IncomingMessage, res: ServerResponse): void {
    if (!httpDigestOk(req)) {
      const nonce = randomBytes(16).toString('hex');
      httpNonces.add(nonce);
      if (httpNonces.size > 10_000) httpNonces.clear();
      res.writeHead(401, {
        'www-authenticate': `Digest realm="${REALM}", qop="auth", nonce="${nonce}", algorithm=MD5, stale="FALSE"`,
      });
      return void res.end();
    }
    count('snapshot');
    const body = snapshot(b.scene, frame++);
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
    res.end(body);
  }

  const http = createHttp((req, res) => {
    if (b.hang) return;
    if (req.method === 'GET' && req.url?.startsWith('/onvif-http/snapshot')) return onSnapshot(req, res);
    if (req.method !== 'POST' || !req.url?.startsWith('/onvif/')) {
      res.writeHead(404);
      return void res.end();
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => onSoap(Buffer.concat(chunks).toString('utf8'), req.url ?? '', res));
  });

  const rtspNonce = randomBytes(16).toString('hex');
  function sdp(): string {
    const video =
      'm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=420029; packetization-mode=1\r\na=control:trackID=1\r\n';
    const audio = 'm=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=control:trackID=2\r\n';
    return `v=0\r\no=- 1109162014219182 1109162014219192 IN IP4 ${host}\r\ns=Media Presentation\r\ne=NONE\r\nb=AS:5100\r\nt=0 0\r\na=control:*\r\n${b.stream === 'no-video' ? '' : video}${audio}`;
  }
  function onRtsp(sock: Socket, head: string): void {
    const [requestLine = '', ...lines] = head.split('\r\n');
    const [method = '', uri = ''] = requestLine.split(' ');
    const headers = new Map(
      lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const cseq = headers.get('cseq') ?? '0';
    const reply = (status: string, extra: string[] = [], body = ''): void => {
      sock.write(
        `RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\nServer: Rtsp Server/3.0\r\n${extra.map((e) => `${e}\r\n`).join('')}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`,
      );
    };
    count(method);
    if (method === 'OPTIONS') return reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
    if (method !== 'DESCRIBE') return reply('405 Method Not Allowed');
    const auth = headers.get('authorization');
    const p = auth ? digestParams(auth) : {};
    const ok =
      !b.refuseCredentials &&
      p.username === username &&
      p.nonce === rtspNonce &&
      sameText(
        md5(`${md5(`${username}:${REALM}:${password}`)}:${rtspNonce}:${md5(`DESCRIBE:${p.uri}`)}`),
        p.response ?? '',
      );
    if (!ok)
      return reply('401 Unauthorized', [
        `WWW-Authenticate: Digest realm="${REALM}", nonce="${rtspNonce}", stale="FALSE"`,
      ]);
    reply('200 OK', ['Content-Type: application/sdp', `Content-Base: ${uri}/`], sdp());
  }
  const rtsp = createTcp((sock) => {
    sock.on('error', () => {});
    let buf = '';
    sock.on('data', (d: Buffer) => {
      if (b.hang) return;
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        onRtsp(sock, buf.slice(0, end));
        buf = buf.slice(end + 4);
      }
    });
  });

  const sockets = new Set<Socket>();
  for (const s of [http, rtsp] as Server[])
    s.on('connection', (sock: Socket) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
  const listen = (s: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        resolve((s.address() as AddressInfo).port);
      });
    });
  const close = (s: Server) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()));
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  prerender(b.scene);
  ports = { http: await listen(http, opts.port ?? 0), rtsp: await listen(rtsp, 0) };

  /** Brings each listener to what the behaviour says: offline closes both, a refused stream RTSP. */
  async function apply(): Promise<void> {
    const httpUp = !b.offline;
    const rtspUp = !b.offline && b.stream !== 'refuse';
    if (!httpUp || !rtspUp) dropAll();
    // A camera that went away forgot its subscriptions (as after a reboot).
    if (!httpUp) events.reset();
    if (httpUp && !http.listening) await listen(http, ports.http);
    if (!httpUp) await close(http);
    if (rtspUp && !rtsp.listening) await listen(rtsp, ports.rtsp);
    if (!rtspUp) await close(rtsp);
  }
  await apply();
  const discovery: DiscoveryResponder | undefined = opts.discoverable
    ? await startDiscoveryResponder({
        xaddr: `${base()}/onvif/device_service`,
        silent: () => b.offline || b.hang,
        garbage: () => b.garbage,
      })
    : undefined;

  return {
    host,
    port: ports.http,
    rtspPort: ports.rtsp,
    username,
    password,
    info,
    requests,
    async set(change) {
      Object.assign(b, change);
      prerender(b.scene);
      await apply();
    },
    setInfo(change) {
      Object.assign(info, change);
    },
    raiseEvent(topic, active) {
      events.raise(topic, active);
    },
    get eventSubscriptions() {
      return events.subscriptions;
    },
    discoveryEndpoint: discovery?.endpoint,
    async stop() {
      events.reset();
      await discovery?.stop();
      dropAll();
      await Promise.all([close(http), close(rtsp)]);
    },
  };
}
