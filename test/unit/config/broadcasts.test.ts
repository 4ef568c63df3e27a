import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { communeDoc } from '../../fixtures/mini-commune.ts';

const SHIPPED = fileURLToPath(new URL('../../../config/canhxa.yaml', import.meta.url));
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A service file and one commune (JSON is YAML) with these broadcasts; the load's problems. */
function problemsWith(broadcasts: unknown): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cx-broadcasts-config-'));
  made.push(dir);
  mkdirSync(join(dir, 'communes'));
  writeFileSync(join(dir, 'canhxa.yaml'), 'dataDir: ./data\ncommunesDir: ./communes\n');
  const doc = communeDoc({ devices: [{ id: 'loa-1', type: 'loudspeaker' }], extra: { broadcasts } });
  writeFileSync(join(dir, 'communes', 'thu.yaml'), JSON.stringify(doc));
  try {
    loadConfig(join(dir, 'canhxa.yaml'), {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('config: broadcast schedule', () => {
  it('ships 06:00 and 17:00 daily bulletins in every sample commune', () => {
    const config = loadConfig(SHIPPED, {});
    for (const c of config.communes)
      expect(
        c.broadcasts.map((b) => [b.id, b.at, b.days.length]),
        c.commune.id,
      ).toEqual([
        ['sang', '06:00', 7],
        ['chieu', '17:00', 7],
      ]);
  });

  it('reads daily and weekday lists, with defaults for duration and window', () => {
    expect(problemsWith([{ id: 'sang', name: 'Sáng', at: '06:00' }])).toEqual([]);
    expect(problemsWith([{ id: 'cn', name: 'Chủ nhật', at: '19:30', days: ['sun'] }])).toEqual([]);
  });

  it('refuses a bad time, an unknown day, a misspelt key and a repeated id, with file, path and fix', () => {
    const problems = problemsWith([
      { id: 'sang', name: 'Sáng', at: '6h' },
      { id: 'chieu', name: 'Chiều', at: '17:00', days: ['mon', 'caturday'] },
      { id: 'toi', name: 'Tối', at: '19:00', duration: 30 },
    ]);
    const find = (needle: string) => problems.find((p) => p.includes(needle));
    expect(find('broadcasts[0].at'), problems.join('\n')).toMatch(/thu\.yaml.*HH:MM.*Fix:/);
    expect(find('broadcasts[1].days[1]'), problems.join('\n')).toMatch(/caturday.*Fix: use one of/);
    expect(find('broadcasts[2].duration'), problems.join('\n')).toMatch(/unknown key.*Fix:/);
    const twice = problemsWith([
      { id: 'sang', name: 'Sáng', at: '06:00' },
      { id: 'sang', name: 'Sáng 2', at: '06:30' },
    ]);
    expect(twice.join('\n')).toMatch(/broadcasts\[1\].*"sang" is used again.*Fix:/);
  });
});
