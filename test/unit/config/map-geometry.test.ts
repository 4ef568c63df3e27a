import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { communeDoc } from '../../fixtures/mini-commune.ts';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function problemsOf(extra: { hamlet?: object; roads?: unknown; map?: object }): readonly string[] {
  const doc = communeDoc({
    id: 'xa-geo',
    devices: [{ id: 'geo-loa', type: 'loudspeaker', name: 'Loa', site: 'ubnd', installedAt: '2026-06-01' }],
    hamlets: [{ id: 'ap-1', name: 'Ấp 1', ...extra.hamlet }],
  });
  if (extra.roads) doc.roads = extra.roads;
  const dir = mkdtempSync(join(tmpdir(), 'canhxa-geo-'));
  made.push(dir);
  mkdirSync(join(dir, 'communes'));
  writeFileSync(join(dir, 'communes', 'geo.yaml'), stringify(doc));
  writeFileSync(
    join(dir, 'canhxa.yaml'),
    stringify({ communesDir: './communes', ...(extra.map ? { map: extra.map } : {}) }),
  );
  try {
    loadConfig(join(dir, 'canhxa.yaml'), {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const ring = [
  [107.3, 11.3],
  [107.31, 11.3],
  [107.31, 11.31],
  [107.3, 11.3],
];

describe('map geometry in commune files', () => {
  it('takes a closed GeoJSON polygon per hamlet and GeoJSON roads', () => {
    expect(
      problemsOf({
        hamlet: { boundary: { type: 'Polygon', coordinates: [ring] } },
        roads: [
          { name: 'ĐT 761', major: true, geometry: { type: 'LineString', coordinates: ring.slice(0, 2) } },
        ],
      }),
    ).toEqual([]);
  });

  it('refuses an open ring, latitude first, and a one-point road, naming the path and the fix', () => {
    const problems = problemsOf({
      hamlet: { boundary: { type: 'Polygon', coordinates: [ring.slice(0, 3).concat([[107.32, 11.32]])] } },
      roads: [{ geometry: { type: 'LineString', coordinates: [[11.3, 107.3]] } }],
    });
    expect(problems.join('\n')).toMatch(
      /geo\.yaml:\d+:\d+: hamlets\[0\]\.boundary\.coordinates\[0\].*end where it starts/,
    );
    expect(problems.join('\n')).toMatch(/roads\[0\]\.geometry\.coordinates.*/);
  });

  it('refuses a tile URL without {z}/{x}/{y} and accepts null for no base layer', () => {
    expect(problemsOf({ map: { tileUrl: 'https://tiles.example/' } }).join('\n')).toMatch(
      /map\.tileUrl.*\{z\}, \{x\} and \{y\}/,
    );
    expect(problemsOf({ map: { tileUrl: null } })).toEqual([]);
  });
});
