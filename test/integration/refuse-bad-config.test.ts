import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'cx-badcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm start with a broken commune file', () => {
  it('says what and where, starts nothing and exits non-zero', async () => {
    mkdirSync(join(dir, 'communes'));
    const sample = readFileSync(join(ROOT, 'config/communes/ta-lai.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'communes/ta-lai.yaml'),
      sample.replace('    site: ', '    site: khong-co-diem-nay #'),
    );
    writeFileSync(
      join(dir, 'canhxa.yaml'),
      `communesDir: ./communes\ndataDir: ./data\nmqtt: { port: 0 }\napi: { port: 0 }\n`,
    );
    const run = promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'services/main.ts', '--config', join(dir, 'canhxa.yaml')],
      {
        cwd: ROOT,
        env: { ...process.env, VITEST: '' },
      },
    );
    const err = await run.then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(
      /communes\/ta-lai\.yaml:\d+:5: devices\[\d+\]\.site — "khong-co-diem-nay" is not a site of this commune\. Fix: /,
    );
  }, 30_000);

  it('refuses a probe target whose config its probe refuses, naming the path', async () => {
    const bad = join(dir, 'probe-bad');
    mkdirSync(join(bad, 'communes'), { recursive: true });
    const sample = readFileSync(join(ROOT, 'config/communes/ta-lai.yaml'), 'utf8');
    writeFileSync(join(bad, 'communes/ta-lai.yaml'), sample.replace('port: 8443', 'port: 70000'));
    writeFileSync(
      join(bad, 'canhxa.yaml'),
      `communesDir: ./communes\ndataDir: ./data\nmqtt: { port: 0 }\napi: { port: 0 }\n`,
    );
    const err = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'services/main.ts', '--config', join(bad, 'canhxa.yaml')],
      { cwd: ROOT, env: { ...process.env, VITEST: '' } },
    ).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(
      /communes\/ta-lai\.yaml(?::\d+:\d+)?: devices\[\d+\]\.probe\.config\.port — .*\(found 70000\)\. Fix: /,
    );
  }, 30_000);
});

describe('npm run worker with a broker user but no password (docker compose without the variable)', () => {
  it('names the missing password and the variable to set, and exits non-zero', async () => {
    const sub = mkdtempSync(join(dir, 'worker-'));
    writeFileSync(
      join(sub, 'canhxa.yaml'),
      [
        `communesDir: ${JSON.stringify(join(ROOT, 'config/communes'))}`,
        'dataDir: ./data',
        'ingest: { source: external, external: { url: "mqtt://127.0.0.1:1", username: canhxa-ingest } }',
      ].join('\n'),
    );
    const err = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'services/worker.ts', '--config', join(sub, 'canhxa.yaml')],
      // As docker-compose.yml passes it when unset: `${CANHXA_INGEST_EXTERNAL_PASSWORD:-}` is empty.
      {
        cwd: ROOT,
        env: { ...process.env, VITEST: '', CANHXA_INGEST_EXTERNAL_PASSWORD: '' },
        // Without the check the worker would start and retry the broker for ever: end it then.
        timeout: 20_000,
      },
    ).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/ingest\.external\.password — missing for broker user "canhxa-ingest"/);
    expect(err?.stderr).toMatch(/Fix: set CANHXA_INGEST_EXTERNAL_PASSWORD/);
  }, 30_000);
});
