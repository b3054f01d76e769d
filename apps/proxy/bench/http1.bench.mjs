// HTTP/1.1 keep-alive throughput and latency: direct to the upstream vs through strait-proxy, in the
// same run. The upstream and the proxy (the built binary) run as child processes; this process is the
// load generator (fixed concurrency, fixed duration per phase). Writes docs/benchmarks/proxy.md.
// Usage: pnpm --filter @strait/proxy bench   (env BENCH_SECONDS, BENCH_CONCURRENCY)
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hcmFilter, startStraitProxy, writeStaticBootstrap } from './compare/bootstrap.mjs';
import { cpuSeconds, startChild } from './compare/common.mjs';
import { closedLoop, httpClient } from './compare/load.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const here = fileURLToPath(new URL('.', import.meta.url));
const bin = join(here, '..', 'dist', 'bin.js');
const out = join(here, '..', '..', '..', 'docs', 'benchmarks', 'proxy.md');

// docs/benchmarks/proxy.md holds several benches' sections between markers; this one owns http1.
const START = '<!-- http1:start -->';
const END = '<!-- http1:end -->';
function withSection(doc, section) {
  const block = `${START}\n${section}${END}\n`;
  const i = doc.indexOf(START);
  const j = doc.indexOf(END);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + END.length + 1);
  // First run with markers: keep the other benches' sections, drop the old unmarked text.
  const k = doc.indexOf('<!-- ');
  const others = k >= 0 ? doc.slice(k) : '';
  return `# strait-proxy benchmarks\n\n${block}\n${others}`;
}

const upstreamSrc = `
const http = require('node:http');
const body = Buffer.alloc(256, 'x');
const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body); }); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));`;

/** One measured phase: the shared closed loop over keep-alive connections, plus the answering process's CPU. */
async function phase(port, label, secs = seconds, pid = undefined) {
  const cpu0 = pid ? cpuSeconds(pid) : undefined;
  const client = httpClient(port, { maxSockets: concurrency });
  const r = { label, ...(await closedLoop(client, { seconds: secs, concurrency })) };
  client.close();
  r.cpuUs = cpu0 !== undefined && r.requests ? ((cpuSeconds(pid) - cpu0) * 1e6) / r.requests : undefined;
  console.log(
    `${label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`,
  );
  return r;
}

const up = await startChild(process.execPath, ['-e', upstreamSrc], (log) => /PORT (\d+)/.exec(log)?.[1]);
const upstreamPort = Number(up.ready);
const dir = mkdtempSync(join(tmpdir(), 'strait-bench-'));
const proxy = await startStraitProxy(
  bin,
  writeStaticBootstrap(dir, {
    listeners: [{ name: 'http', filters: hcmFilter('bench', 'up') }],
    clusters: [{ name: 'up', port: upstreamPort }],
  }),
  ['http'],
);
const proxyPort = proxy.ports.http;

try {
  // Warm-up (JIT, pools) is not measured.
  await phase(upstreamPort, 'warmup-direct', 1);
  await phase(proxyPort, 'warmup-proxy', 2);
  const direct = await phase(upstreamPort, 'direct', seconds, up.child.pid);
  const proxied = await phase(proxyPort, 'through strait-proxy', seconds, proxy.child.pid);
  const date = new Date().toISOString().slice(0, 19).replace('T', ' ');
  const row = (r) =>
    `| ${r.label} | ${r.requests} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${r.cpuUs === undefined ? '-' : r.cpuUs.toFixed(0)} |`;
  const md = `## HTTP/1.1 keep-alive: direct vs through strait-proxy

Produced by \`pnpm --filter @strait/proxy bench\` (\`apps/proxy/bench/http1.bench.mjs\`). One run measures the
upstream directly and through the proxy back to back, with the same load generator, so the two rows compare
on the same machine and load. Upstream and proxy are separate Node.js processes; the load generator is a
third. Each request is a GET answered with a 256-byte body over ${concurrency} keep-alive connections, for
${seconds} s per phase after a short warm-up.

Machine: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), Node.js ${process.version}, shared with other
workloads: load average ${loadavg()[0].toFixed(1)} during the run, so the numbers are indicative, not a
controlled lab measurement. Run: ${date} UTC.

| target | requests | req/s | p50 ms | p99 ms | errors | CPU µs/request |
|---|---|---|---|---|---|---|
${row(direct)}
${row(proxied)}

CPU µs/request is the CPU time (user + system, from /proc) of the process answering the phase — the
upstream for "direct", the proxy for "through strait-proxy" — divided by requests: unlike req/s it does
not depend on how much of the shared CPUs the processes got.

Proxy overhead: throughput ${((proxied.rps / direct.rps) * 100).toFixed(0)}% of direct; p50 +${(proxied.p50 - direct.p50).toFixed(2)} ms,
p99 +${(proxied.p99 - direct.p99).toFixed(2)} ms.

The proxy runs one event loop (Envoy's \`--concurrency 1\`); the route path includes route matching, header
mutation, Istio request metrics and per-cluster stats on every request.
`;
  writeFileSync(out, withSection(existsSync(out) ? readFileSync(out, 'utf8') : '', md));
  console.log(`wrote ${out}`);
} finally {
  proxy.child.kill('SIGKILL');
  up.child.kill('SIGKILL');
}
