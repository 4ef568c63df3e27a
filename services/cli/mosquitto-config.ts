import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DeviceCredentials } from '../auth/device-credentials.ts';
import { mosquittoAcl, mosquittoConf, mosquittoPasswordLine } from '../ingest/external/mosquitto-files.ts';
import { DeviceDirectory } from '../inventory/device-directory.ts';
import { openServiceDb } from '../store/db.ts';
import { loadConfigOrExit } from './process.ts';

/**
 * `npm run mosquitto-config -- --config FILE [--out DIR]`: writes, for an external mosquitto,
 * a password file (every device, with the secrets from the data folder's device-secrets.json,
 * created now for devices that have none; and the ingest user from ingest.external), an ACL file
 * that mirrors our broker's rules, and a conf snippet. Default DIR: <dataDir>/mosquitto.
 */
const { values } = parseArgs({
  options: { config: { type: 'string', default: 'config/canhxa.yaml' }, out: { type: 'string' } },
});
const config = loadConfigOrExit(values.config!, 'mosquitto-config');
const ext = config.service.ingest.external;
if (!ext?.username || !ext.password) {
  process.stderr.write(
    `mosquitto-config: ${config.paths.serviceFile}: ingest.external.username / password — missing. ` +
      'Fix: give the ingest workers a broker user (ingest.external.username and password).\n',
  );
  process.exit(1);
}
const directory = new DeviceDirectory(config);
const db = openServiceDb(config);
const secrets = await new DeviceCredentials(db).ensure(
  [...directory.byId.keys()],
  join(config.paths.dataDir, 'device-secrets.json'),
);
db.close();
const missing = [...directory.byId.keys()].filter((id) => !secrets.has(id));
if (missing.length > 0) {
  process.stderr.write(
    `mosquitto-config: ${join(config.paths.dataDir, 'device-secrets.json')} — no password for ${missing.join(', ')}. ` +
      "Fix: restore the file from the installer's copy, or delete those devices' rows from device_credentials and run again to issue new ones.\n",
  );
  process.exit(1);
}
const out = resolve(values.out ?? join(config.paths.dataDir, 'mosquitto'));
mkdirSync(out, { recursive: true });
const passwordFile = join(out, 'passwd');
const aclFile = join(out, 'acl');
const lines = [
  mosquittoPasswordLine(ext.username, ext.password),
  ...[...directory.byId.keys()].map((id) => mosquittoPasswordLine(id, secrets.get(id)!)),
];
writeFileSync(passwordFile, `${lines.join('\n')}\n`, { mode: 0o600 });
chmodSync(passwordFile, 0o600);
writeFileSync(aclFile, mosquittoAcl(directory.all(), ext.username));
writeFileSync(
  join(out, 'canhxa.conf'),
  mosquittoConf({ passwordFile, aclFile, maxPayloadBytes: config.service.mqtt.maxPayloadBytes }),
);
process.stdout.write(
  `Wrote ${passwordFile} (${lines.length} users), ${aclFile} and ${join(out, 'canhxa.conf')}\n`,
);
