import { parseArgs } from 'node:util';
import { API_KEY_SCOPES, type ApiKeyScope, ApiKeys } from '../auth/api-keys.ts';
import { openServiceDb } from '../store/db.ts';
import { loadConfigOrExit } from './process.ts';

/**
 * `npm run api-key -- create --name "IOC Đồng Nai" --scopes summaries,states [--communes ta-lai]`
 * prints a new IOC feed key once (only its SHA-256 is kept); `list` shows keys without them;
 * `revoke --id N` ends one. Works while the service runs (same SQLite file, WAL).
 */
const USAGE = `Usage:
  npm run api-key -- create --name "IOC Đồng Nai" --scopes summaries,states [--communes ta-lai,loc-tan] [--config FILE]
  npm run api-key -- list [--config FILE]
  npm run api-key -- revoke --id N [--config FILE]
Scopes: ${API_KEY_SCOPES.join(', ')}.
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(1);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    config: { type: 'string', default: 'config/canhxa.yaml' },
    name: { type: 'string' },
    scopes: { type: 'string' },
    communes: { type: 'string' },
    id: { type: 'string' },
  },
});

const config = loadConfigOrExit(values.config!, 'npm run api-key');
const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const db = openServiceDb(config);
const keys = new ApiKeys(db);

try {
  switch (positionals[0]) {
    case 'create': {
      const name = values.name?.trim();
      if (!name) fail('--name is required: who the key is for (e.g. "IOC Đồng Nai").');
      const scopes = list(values.scopes);
      const bad = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
      if (scopes.length === 0 || bad.length > 0)
        fail(
          `--scopes must list ${API_KEY_SCOPES.join(' and/or ')}${bad.length ? ` (found ${bad.join(', ')})` : ''}.`,
        );
      const known = config.communes.map((c) => c.commune.id);
      const communes = list(values.communes);
      const unknown = communes.filter((c) => !known.includes(c));
      if (unknown.length > 0)
        fail(`--communes: ${unknown.join(', ')} not in this deployment (${known.join(', ')}).`);
      const { key, apiKey } = keys.create({ name, scopes: scopes as ApiKeyScope[], communes });
      process.stderr.write(
        `API key ${apiKey.id} "${apiKey.name}" (scopes ${apiKey.scopes.join(', ')}; communes ${apiKey.communes?.join(', ') ?? 'all'}).\n` +
          'It is shown once and stored only as a hash: give it to the IOC now. Header: Authorization: Bearer <key>\n',
      );
      process.stdout.write(`${key}\n`);
      break;
    }
    case 'list':
      for (const k of keys.list())
        process.stdout.write(
          `${k.id}\t${k.hint}…\t${k.name}\t${k.scopes.join(',')}\t${k.communes?.join(',') ?? 'all'}\t` +
            `${k.revokedTs ? `revoked ${new Date(k.revokedTs).toISOString()}` : 'active'}\t` +
            `last used ${k.lastUsedTs ? new Date(k.lastUsedTs).toISOString() : 'never'}\n`,
        );
      break;
    case 'revoke': {
      const id = Number(values.id);
      if (!Number.isInteger(id) || id <= 0) fail('--id must be the number shown by `list`.');
      if (!keys.revoke(id)) fail(`No active API key ${id}.`);
      process.stderr.write(`API key ${id} revoked.\n`);
      break;
    }
    default:
      fail(positionals[0] ? `Unknown command "${positionals[0]}".` : 'Name a command.');
  }
} finally {
  db.close();
}
