// A CPU profile of strait-proxy's HTTP/1.1 forwarding path: the built proxy runs under
// `node --cpu-prof` while wrk drives it at fixed concurrency through the same route the comparison uses;
// then the profile's top frames by self time (and strait-proxy's own functions by total time) print.
// Usage: node bench/compare/profile.mjs   (env PROFILE_SECONDS (10), PROFILE_TOP (30), PROFILE_DIST,
//        PROFILE_PROTOCOL (http1 | grpc),
//        COMPARE_CONCURRENCY (32))
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startChild } from './common.mjs';
import { closedLoop, grpcClient, wrk } from './load.mjs';
import { startStrait } from './proxies.mjs';

const seconds = Number(process.env.PROFILE_SECONDS ?? 10);
const concurrency = Number(process.env.COMPARE_CONCURRENCY ?? 32);
const top = Number(process.env.PROFILE_TOP ?? 30);
const here = fileURLToPath(new URL('.', import.meta.url));
// PROFILE_DIST: profile another build (a dist copy, as ab.mjs takes).
const bin = resolve(process.env.PROFILE_DIST ?? join(here, '..', '..', 'dist'), 'bin.js');
/** Frames of the profiled build start with this URL. */
const distUrl = pathToFileURL(dirname(bin)).href;
const dir = mkdtempSync(join(tmpdir(), 'strait-profile-'));

const upstream = await startChild(process.execPath, [join(here, 'upstream.mjs')], (l) => {
  const m = /UPSTREAM (\{.*\})/.exec(l);
  return m ? JSON.parse(m[1]) : undefined;
});
let proxy;
let loadEnded = 0;
let exitedAfterMs = 0;
try {
  proxy = await startStrait({
    bin,
    dir,
    up: upstream.ready,
    extraNodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '250'],
  });
  // PROFILE_PROTOCOL=grpc profiles the h2c -> HTTP/2 path with the gRPC client instead of wrk.
  const grpcMode = process.env.PROFILE_PROTOCOL === 'grpc';
  const client = grpcMode ? grpcClient(proxy.ports.grpc) : undefined;
  const drive = (secs) =>
    client
      ? closedLoop(client, { seconds: secs, concurrency })
      : wrk(proxy.ports.http, { seconds: secs, concurrency });
  await drive(1);
  const r = await drive(seconds);
  client?.close();
  console.log(`profiled: ${r.requests} requests, ${r.rps.toFixed(0)} req/s, errors ${r.errors}`);
  loadEnded = performance.now();
  // SIGTERM drains (0 s window) and exits normally, which is when node writes the profile.
  const gone = new Promise((res) => proxy.child.once('exit', res));
  proxy.child.kill('SIGTERM');
  await Promise.race([gone, new Promise((res) => setTimeout(res, 10_000))]);
  exitedAfterMs = performance.now() - loadEnded;
} finally {
  if (proxy && proxy.child.exitCode === null) proxy.child.kill('SIGKILL');
  upstream.child.kill('SIGKILL');
}

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) {
  console.error(`no .cpuprofile written in ${dir}`);
  process.exit(1);
}
const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
// Only the measured wrk run counts: startup (module loading, bootstrap parsing), warm-up and exit are cut
// off by timing them from the end of the profile.
const windowEnd = prof.endTime - exitedAfterMs * 1000;
const windowStart = windowEnd - seconds * 1e6;
// Self "time" per node as a sample count: on a loaded machine the sampler thread is descheduled too, so
// weighting samples by the gap to the next one would charge those gaps to whatever ran last.
const selfSamples = new Map();
let totalSamples = 0;
let t = prof.startTime;
for (let i = 0; i < prof.samples.length; i++) {
  t += prof.timeDeltas[i] ?? 0;
  if (t < windowStart || t > windowEnd) continue;
  const id = prof.samples[i];
  selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  totalSamples++;
}
const short = (url) =>
  url
    .replace(`${distUrl}/`, 'proxy:')
    .replace(/^file:\/\/.*\/node_modules\//, '')
    .replace(/^node:/, 'node:');
const keyOf = (n) => {
  const c = n.callFrame;
  return `${c.functionName || '(anonymous)'} ${c.url ? `${short(c.url)}:${c.lineNumber + 1}` : ''}`.trim();
};
const self = new Map();
for (const [id, us] of selfSamples) {
  const k = keyOf(byId.get(id));
  self.set(k, (self.get(k) ?? 0) + us);
}
// Total (inclusive) time of strait-proxy's own frames: each sample counts once per distinct frame on its stack.
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const total = new Map();
for (const [id, us] of selfSamples) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n.callFrame.url.startsWith(distUrl)) continue;
    const k = keyOf(n);
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + us);
  }
}
// Where the time went, coarsely: strait-proxy's own JS, Node's JS (http, streams, timers, events), native
// frames without a script (syscalls such as writev/read, the parser), GC, idle.
const cats = new Map();
for (const [id, us] of selfSamples) {
  const c = byId.get(id).callFrame;
  let cat = 'native (syscalls, C++ bindings)';
  if (c.functionName === '(idle)') cat = 'idle';
  else if (c.functionName === '(garbage collector)') cat = 'garbage collector';
  else if (c.functionName === '(program)') cat = '(program)';
  else if (c.url.startsWith(distUrl)) cat = 'strait-proxy JS';
  else if (c.url.startsWith('node:')) cat = 'Node.js core JS';
  else if (c.url) cat = 'other JS';
  cats.set(cat, (cats.get(cat) ?? 0) + us);
}
const pct = (us) => `${((us / totalSamples) * 100).toFixed(1).padStart(5)}%`;
const print = (title, m) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);
};
print('self time by kind', cats);
print(`top ${top} frames by self time (${totalSamples} samples in the ${seconds} s measured)`, self);
print(`top ${top} strait-proxy frames by total time`, total);
console.log(`\nprofile: ${join(dir, file)}`);
