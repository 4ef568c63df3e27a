/**
 * Summarises a V8 .cpuprofile (from --cpu-prof or the inspector's Profiler.stop): self time per
 * function and per package. `npx tsx test/bench/cpuprofile-summary.ts FILE [TOP]`.
 *
 * Format: `nodes` is the call tree (id, callFrame {functionName, url, lineNumber}, children);
 * `samples[i]` is the node on top of the stack at sample i and `timeDeltas[i]` the µs since the
 * previous sample, so a node's self time is the sum of the deltas of the samples that hit it.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = resolve(import.meta.dirname, '../..');

/** Which package or part of ours a frame belongs to, for the per-package totals. */
export function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node core';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.includes('/services/') || url.includes('/config/'))
    return `ours: ${relative(ROOT, new URL(url).pathname)}`;
  return url;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly lines: string[];
}

export function summariseCpuProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const byFn = new Map<string, { us: number; pkg: string }>();
  const byPkg = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const { functionName, url, lineNumber } = n.callFrame;
    const pkg = packageOf(url, functionName);
    const where = url
      ? `${url.startsWith('file:') ? relative(ROOT, new URL(url).pathname) : url}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'}  ${where}`;
    const e = byFn.get(key) ?? { us: 0, pkg };
    e.us += us;
    byFn.set(key, e);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  }
  // Inclusive time of our own functions: each sample counts once for every distinct function of
  // ours on its stack (so recursion is not double-counted).
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const node = new Map(p.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const { functionName, url, lineNumber } = node.get(cur)!.callFrame;
      if (!url.includes('/services/')) continue;
      const key = `${functionName || '(anonymous)'}  ${relative(ROOT, new URL(url).pathname)}:${lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
  });
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(6)} ms`;
  const busy = total - (byPkg.get('(idle)') ?? 0);
  const lines: string[] = [
    `  profile: ${(total / 1e6).toFixed(1)} s sampled, ${((busy / total) * 100).toFixed(0)}% not idle (main thread only)`,
    '  self time by package:',
    ...[...byPkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 18)
      .map(([k, us]) => `    ${pct(us)} ${ms(us)}  ${k}`),
    `  top ${top} functions by self time:`,
    ...[...byFn.entries()]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([k, e]) => `    ${pct(e.us)} ${ms(e.us)}  ${k}`),
  ];
  lines.push(
    '  our functions by inclusive time (self + callees):',
    ...[...inclusive.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([k, us]) => `    ${pct(us)} ${ms(us)}  ${k}`),
  );
  return { totalMs: total / 1000, lines };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx test/bench/cpuprofile-summary.ts FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  for (const l of summariseCpuProfile(file, Number(process.argv[3] ?? 25)).lines) console.log(l);
}
