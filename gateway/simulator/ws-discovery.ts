import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

/**
 * A camera's WS-Discovery target service (WS-Discovery 2005/04 as ONVIF Core §7.3 uses it): SOAP
 * over UDP on the multicast group 239.255.255.250 port 3702. It answers a Probe for
 * `dn:NetworkVideoTransmitter` (or for any type) with a ProbeMatch, unicast to the sender,
 * carrying its endpoint reference (a urn:uuid), scopes and XAddrs (its device service URL).
 *
 * The port is fixed by the standard, so every responder binds it with SO_REUSEADDR and joins the
 * group on every IPv4 interface (loopback included): multicast reaches all of them, whichever
 * interface the client's default route sends it out of.
 */
export const WS_DISCOVERY_GROUP = '239.255.255.250';
export const WS_DISCOVERY_PORT = 3702;

export interface DiscoveryResponder {
  readonly endpoint: string;
  /** Probes answered. */
  readonly answered: number;
  stop(): Promise<void>;
}

export async function startDiscoveryResponder(opts: {
  xaddr: string;
  scopes?: readonly string[];
  /** While true nothing is answered (the camera is offline). */
  silent?: () => boolean;
  /** Answer with a broken SOAP message (a firmware bug on the LAN). */
  garbage?: () => boolean;
}): Promise<DiscoveryResponder> {
  const endpoint = `urn:uuid:${randomUUID()}`;
  const scopes = opts.scopes ?? [
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/Profile/Streaming',
    'onvif://www.onvif.org/hardware/DS-2CD2T47G2-L',
    'onvif://www.onvif.org/name/HIKVISION',
  ];
  let answered = 0;
  const sock: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  sock.on('message', (msg, rinfo) => {
    if (opts.silent?.()) return;
    const xml = msg.toString('utf8');
    if (!/<(?:\w+:)?Probe[\s>]/.test(xml)) return;
    const types = /<(?:\w+:)?Types[^>]*>([^<]*)</.exec(xml)?.[1]?.trim() ?? '';
    if (types && !/NetworkVideoTransmitter/.test(types)) return;
    const messageId = /<(?:\w+:)?MessageID[^>]*>([^<]*)</.exec(xml)?.[1] ?? '';
    const reply = opts.garbage?.()
      ? '<?xml version="1.0"?><SOAP-ENV:Envelope><SOAP-ENV:Body><d:ProbeMatches>'
      : probeMatch(messageId, endpoint, scopes, opts.xaddr);
    answered++;
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(WS_DISCOVERY_PORT, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', () => {});
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? [])
      if (a.family === 'IPv4')
        try {
          sock.addMembership(WS_DISCOVERY_GROUP, a.address);
        } catch {
          // An interface without multicast (a down bridge): the others still carry the probes.
        }
  return {
    endpoint,
    get answered() {
      return answered;
    },
    stop: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

function probeMatch(relatesTo: string, endpoint: string, scopes: readonly string[], xaddr: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><SOAP-ENV:Header><wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID><wsa:RelatesTo>${relatesTo}</wsa:RelatesTo><wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header><SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference><wsa:Address>${endpoint}</wsa:Address></wsa:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>${scopes.join(' ')}</d:Scopes><d:XAddrs>${xaddr}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}
