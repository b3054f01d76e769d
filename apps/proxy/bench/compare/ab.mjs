// Before/after for a hot-path change: two builds of strait-proxy (two `dist` copies) run side by side in
// front of the same upstream, and wrk alternates between them (A B A B ...), so both see the same machine
// load. Prints each round and the median ratios B/A of requests/s and CPU per 1,000 requests.
//
// Usage: node bench/compare/ab.mjs DIST_A DIST_B   (each a copy of apps/proxy/dist placed where it still
//        resolves this package's node_modules, e.g. apps/proxy/node_modules/.ab/before)
// Env: AB_ROUNDS (3), AB_SECONDS (5) per wrk run, COMPARE_CONCURRENCY (32).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, startChild } from './common.mjs';
import { wrk } from './load.mjs';
import { startStrait } from './proxies.mjs';

const [a, b] = process.argv.slice(2).map((p) => resolve(p));
if (!a || !b) {
  console.error('usage: node bench/compare/ab.mjs DIST_A DIST_B');
  process.exit(2);
}
const rounds = Number(process.env.AB_ROUNDS ?? 3);
const seconds = Number(process.env.AB_SECONDS ?? 5);
const concurrency = Number(process.env.COMPARE_CONCURRENCY ?? 32);
const here = fileURLToPath(new URL('.', import.meta.url));

const upstream = await startChild(process.execPath, [join(here, 'upstream.mjs')], (l) => {
  const m = /UPSTREAM (\{.*\})/.exec(l);
  return m ? JSON.parse(m[1]) : undefined;
});
const proxies = [];
const dirs = [];
try {
  for (const [name, dist] of [
    ['A', a],
    ['B', b],
  ]) {
    const dir = mkdtempSync(join(tmpdir(), `strait-ab-${name}-`));
    dirs.push(dir);
    proxies.push({ name, p: await startStrait({ bin: join(dist, 'bin.js'), dir, up: upstream.ready }) });
  }
  for (const { p } of proxies) await wrk(p.ports.http, { seconds: 1, concurrency });
  const res = { A: [], B: [] };
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, so neither always runs right after the other's load.
    const order = i % 2 === 0 ? proxies : [...proxies].reverse();
    for (const { name, p } of order) {
      const c0 = cpuSeconds(p.pid);
      const r = await wrk(p.ports.http, { seconds, concurrency });
      const cpuMsPer1k = ((cpuSeconds(p.pid) - c0) * 1e6) / Math.max(1, r.requests);
      res[name].push({ rps: r.rps, cpuMsPer1k });
      console.log(
        `round ${i + 1} ${name}: ${r.rps.toFixed(0)} req/s, CPU ${cpuMsPer1k.toFixed(1)} ms/1k, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`,
      );
    }
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const ratios = (k) => res.B.map((rb, i) => rb[k] / res.A[i][k]);
  console.log(
    `B/A median over ${rounds} rounds: req/s ${median(ratios('rps')).toFixed(3)}×, CPU per 1k requests ${median(ratios('cpuMsPer1k')).toFixed(3)}× ` +
      `(per round req/s: ${ratios('rps')
        .map((x) => x.toFixed(2))
        .join(', ')})`,
  );
} finally {
  for (const { p } of proxies) await p.stop();
  upstream.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
