// Bundles the dashboard: src/main.ts → dist/app.js (+ dist/app.css with Leaflet's CSS), and copies index.html.
// Run by `npm run build:dashboard`, by `npm pretest`, and by the service at start when dist/ is
// missing or older than its sources (services/api/dashboard-build.ts); the API serves dist/ at `/`.
//
// The bundle is built in a sibling folder and moved into place, so a server never serves half a
// build, and two processes starting at once (tests start several) never delete each other's.
// dist/inputs.json lists the files that went into it (esbuild's metafile), for the freshness check.
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const staging = join(root, `.dist-${process.pid}-${Date.now()}`);
const started = performance.now();

await mkdir(staging, { recursive: true });
try {
  const result = await build({
    entryPoints: { app: join(root, 'src', 'main.ts') },
    outdir: staging,
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
    metafile: true,
  });
  await copyFile(join(root, 'src', 'index.html'), join(staging, 'index.html'));
  // Our own sources, relative to the repository (esbuild names them relative to the working folder).
  const repo = join(root, '..');
  const inputs = [
    ...Object.keys(result.metafile.inputs).map((p) => resolve(p)),
    join(root, 'src', 'index.html'),
    fileURLToPath(import.meta.url),
  ]
    .map((p) => relative(repo, p))
    .filter((p) => !p.split(sep).includes('node_modules'));
  await writeFile(join(staging, 'inputs.json'), `${JSON.stringify(inputs, null, 1)}\n`);
  await rm(dist, { recursive: true, force: true });
  await rename(staging, dist).catch(async (err) => {
    // Another build moved its folder into place between our rm and rename: keep that one.
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  });
} finally {
  await rm(staging, { recursive: true, force: true });
}

console.log(`dashboard built in ${Math.round(performance.now() - started)} ms → ${dist}`);
