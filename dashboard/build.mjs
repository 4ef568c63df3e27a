// Bundles the dashboard: src/main.ts → dist/app.js (+ dist/app.css with Leaflet's CSS), and copies index.html.
// Run by `npm run build:dashboard` and by `npm pretest`; the API server serves dist/ at `/`.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const started = performance.now();

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await build({
  entryPoints: { app: join(root, 'src', 'main.ts') },
  outdir: dist,
  bundle: true,
  minify: true,
  sourcemap: true,
  target: 'es2020',
  format: 'iife',
  platform: 'browser',
  charset: 'utf8',
  legalComments: 'linked',
  // Leaflet's CSS references a few small PNGs (layer control); we draw circle markers, never image markers.
  loader: { '.png': 'dataurl', '.svg': 'dataurl' },
  logLevel: 'warning',
});
await copyFile(join(root, 'src', 'index.html'), join(dist, 'index.html'));

console.log(`dashboard built in ${Math.round(performance.now() - started)} ms → ${dist}`);
