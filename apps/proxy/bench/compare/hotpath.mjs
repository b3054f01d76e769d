// Micro-benchmark of strait-proxy's per-request HTTP/1.1 work that does no I/O, for two builds in one
// process (A and B batches interleaved), so a hot-path change gets a before/after ratio that machine
// noise barely moves (whole-proxy runs swing ±50% between rounds on a shared 2-core box).
//   cleanHeaders(request head), cleanHeaders(response head): what every request pays twice;
//   Http1Pool.request(head).end(): the upstream request's head, built and rendered by node:http
//     (the pool's agent is stubbed to never connect, so only the CPU work is timed).
// Usage: node bench/compare/hotpath.mjs DIST_A DIST_B   (dist copies, as ab.mjs takes)
// Env: HOTPATH_ROUNDS (7), HOTPATH_ITERATIONS (20000) per batch.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dists = process.argv.slice(2).map((p) => resolve(p));
if (dists.length !== 2) {
  console.error('usage: node bench/compare/hotpath.mjs DIST_A DIST_B');
  process.exit(2);
}
const rounds = Number(process.env.HOTPATH_ROUNDS ?? 7);
const iterations = Number(process.env.HOTPATH_ITERATIONS ?? 20_000);

// What node:http hands the proxy for a typical API call through a sidecar.
const requestHeaders = {
  host: 'reviews.default.svc.cluster.local:9080',
  'user-agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  accept: 'application/json, text/plain, */*',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-US,en;q=0.9',
  connection: 'keep-alive',
  'x-request-id': '0b4f6e02-3b4c-4f7d-9a0e-2f1f0d3c9b11',
  'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
  'x-b3-spanid': 'e457b5a2e4d86bd1',
  'x-b3-sampled': '1',
  cookie: 'session=abc123; theme=dark',
};
const responseHeaders = {
  'content-type': 'application/json',
  'content-length': '256',
  date: 'Thu, 26 Nov 2026 09:00:00 GMT',
  connection: 'keep-alive',
  'keep-alive': 'timeout=5',
};

async function load(dist) {
  const types = await import(pathToFileURL(`${dist}/protocols/types.js`).href);
  const { Http1Pool } = await import(pathToFileURL(`${dist}/protocols/http1/upstream.js`).href);
  const counter = { inc() {}, dec() {} };
  const stats = new Proxy({}, { get: () => counter });
  const pool = new Http1Pool({
    host: '127.0.0.1',
    port: 9,
    connectTimeoutMs: 1000,
    maxConnections: 1024,
    idleTimeoutMs: 60_000,
    stats,
    onConnection() {},
  });
  // Never connect: the request stays queued in node's outgoing buffer, which is all this measures.
  pool.agent.addRequest = () => {};
  const head = {
    method: 'GET',
    path: '/reviews/0?start=0',
    authority: 'reviews.default.svc.cluster.local:9080',
    scheme: 'http',
    headers: types.cleanHeaders(requestHeaders),
  };
  const ev = {
    onConnected() {},
    onHeaders() {},
    onData() {},
    onTrailers() {},
    onEnd() {},
    onError() {},
  };
  return {
    'cleanHeaders(request)': () => types.cleanHeaders(requestHeaders),
    'cleanHeaders(response)': () => types.cleanHeaders(responseHeaders),
    'Http1Pool.request().end()': () => pool.request(head, ev).end(),
  };
}

const impl = [await load(dists[0]), await load(dists[1])];
let sink = 0;
const batch = (fn) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const r = fn();
    if (r) sink++;
  }
  return Number(process.hrtime.bigint() - t0) / iterations;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const name of Object.keys(impl[0])) {
  const ns = [[], []];
  batch(impl[0][name]);
  batch(impl[1][name]);
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so neither side always runs on a warmer cache or after the other's GC.
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) ns[k].push(batch(impl[k][name]));
  }
  const ratios = ns[1].map((b, i) => b / ns[0][i]);
  console.log(
    `${name}: A ${median(ns[0]).toFixed(0)} ns/op, B ${median(ns[1]).toFixed(0)} ns/op, B/A median ${median(ratios).toFixed(2)}× (rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')})`,
  );
}
if (sink < 0) console.log(sink);
