import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { CommuneFileSchema } from './config/schema/commune.ts';
import { DeviceDirectory } from './services/inventory/device-directory.ts';
import { DeviceCredentials } from './services/auth/device-credentials.ts';
import { RejectLog } from './services/ingest/reject-log.ts';
import { openDb } from './services/store/db.ts';
import { createLogger } from './services/shared/logger.ts';
import { Broker } from './services/broker/broker.ts';
const commune = CommuneFileSchema.parse({
  commune: { id: 'xa', name: 'Xã', province: 'P', center: { lat: 11, lon: 107 } },
  hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
  sites: [{ id: 's1', name: 'UBND', kind: 'ubnd', hamlet: 'ap-1', location: { lat: 11, lon: 107 } }],
  devices: [
    { id: 'cam-01', type: 'camera', name: 'C1', site: 's1', installedAt: '2026-01-01' },
  ],
});
const db = openDb(join(mkdtempSync(join(tmpdir(), 'cx-')), 'cx.db'));
const creds = new DeviceCredentials(db); await creds.set('cam-01', 'pw');
const b = new Broker({ config: { host: '127.0.0.1', port: 0, maxPayloadBytes: 1024 }, directory: new DeviceDirectory({ communes: [commune] }), credentials: creds, rejects: new RejectLog(db, { kept: 100 }), onPublish: (m) => console.log('onPublish', m.topic, m.payload.toString()), log: createLogger({ level: 'debug' }) });
const { port } = await b.start();
const base = ['-h', '127.0.0.1', '-p', String(port), '-i', 'cam-01', '-u', 'cam-01', '-P', 'pw', '-V', 'mqttv311'];
for (const [cmd, args] of [
  ['mosquitto_pub', [...base, '-q', '1', '-t', 'cx/v1/xa/cam-02/heartbeat', '-m', 'x']],
  ['mosquitto_pub', [...base, '-q', '0', '-t', 'cx/v1/xa/cam-02/heartbeat', '-m', 'x']],
  ['mosquitto_pub', [...base.slice(0, -6), '-i', 'cam-01', '-u', 'cam-01', '-P', 'bad', '-V', 'mqttv311', '-q', '1', '-t', 'cx/v1/xa/cam-01/heartbeat', '-m', 'x']],
  ['mosquitto_pub', [...base.slice(0, -2), '-V', 'mqttv31', '-q', '1', '-t', 'cx/v1/xa/cam-01/heartbeat', '-m', 'x']],
  ['mosquitto_pub', [...base.slice(0, -2), '-V', 'mqttv5', '-q', '1', '-t', 'cx/v1/xa/cam-01/heartbeat', '-m', 'x']],
  ['mosquitto_sub', [...base, '-q', '1', '-t', 'cx/#', '-W', '2']],
  ['mosquitto_sub', [...base, '-q', '1', '-t', 'cx/v1/xa/cam-01/cmd/#', '-W', '1', '-d']],
] as const) {
  const r = await new Promise<any>((res) => execFile(cmd, args as string[], { timeout: 5000 }, (err, stdout, stderr) => res({ status: err ? (err as any).code : 0, signal: (err as any)?.signal, stdout, stderr })));
  console.log(cmd, args.slice(-6).join(' '), '=> status', r.status, 'signal', r.signal, 'out', JSON.stringify(r.stdout), 'err', JSON.stringify(r.stderr));
}
console.log(b.stats());
await b.stop();
