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
      /communes\/ta-lai\.yaml: devices\[\d+\]\.site — "khong-co-diem-nay" is not a site of this commune\. Fix: /,
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
      /communes\/ta-lai\.yaml: devices\[\d+\]\.probe\.config\.port — .*\(found 70000\)\. Fix: /,
    );
  }, 30_000);
});
