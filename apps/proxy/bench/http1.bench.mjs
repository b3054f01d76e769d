// HTTP/1.1 keep-alive throughput and latency: direct to the upstream vs through strait-proxy, in the
// same run. The upstream and the proxy (the built binary) run as child processes; this process is the
// load generator (fixed concurrency, fixed duration per phase). Writes docs/benchmarks/proxy.md.
// Usage: pnpm --filter @strait/proxy bench   (env BENCH_SECONDS, BENCH_CONCURRENCY)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const here = fileURLToPath(new URL('.', import.meta.url));
const bin = join(here, '..', 'dist', 'bin.js');
const out = join(here, '..', '..', '..', 'docs', 'benchmarks', 'proxy.md');

function child(args, ready) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const onData = (d) => {
      log += d.toString();
      const m = ready(log);
      if (m) resolve({ c, m });
    };
    c.stdout.on('data', onData);
    c.stderr.on('data', onData);
    c.on('exit', (code) => reject(new Error(`child exited ${code}: ${log}`)));
  });
}

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

/** CPU seconds (user + system) a child process has used, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function phase(port, label, secs = seconds, pid = undefined) {
  const cpu0 = pid ? cpuSeconds(pid) : undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const lat = [];
  let errors = 0;
  const deadline = Date.now() + secs * 1000;
  const one = () =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.request(
        { host: '127.0.0.1', port, path: '/bench', agent, headers: { host: 'bench.local' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) errors++;
            lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const worker = async () => {
    while (Date.now() < deadline) await one();
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (Date.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
  const cpu1 = pid ? cpuSeconds(pid) : undefined;
  const cpuUs =
    cpu0 !== undefined && cpu1 !== undefined && lat.length ? ((cpu1 - cpu0) * 1e6) / lat.length : undefined;
  const r = {
    label,
    requests: lat.length,
    errors,
    rps: lat.length / elapsed,
    p50: q(0.5),
    p99: q(0.99),
    cpuUs,
  };
  console.log(
    `${label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${errors}`,
  );
  return r;
}

const up = await child(['-e', upstreamSrc], (log) => /PORT (\d+)/.exec(log)?.[1]);
const upstreamPort = Number(up.m);
const dir = mkdtempSync(join(tmpdir(), 'strait-bench-'));
const bootstrap = join(dir, 'bootstrap.yaml');
writeFileSync(
  bootstrap,
  `admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
static_resources:
  listeners:
    - name: http
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: bench
                route_config: { virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: up } }] }] }
                http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]
  clusters:
    - name: up
      type: STATIC
      connect_timeout: 1s
      load_assignment: { cluster_name: up, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstreamPort} } } } }] }] }
`,
);
const proxy = await child(
  [bin, '--bootstrap', bootstrap, '--prometheus-address', 'off', '--drain-time-s', '0'],
  (log) => /listener "http" on [^:]+:(\d+)/.exec(log)?.[1],
);
const proxyPort = Number(proxy.m);

try {
  // Warm-up (JIT, pools) is not measured.
  await phase(upstreamPort, 'warmup-direct', 1);
  await phase(proxyPort, 'warmup-proxy', 2);
  const direct = await phase(upstreamPort, 'direct', seconds, up.c.pid);
  const proxied = await phase(proxyPort, 'through strait-proxy', seconds, proxy.c.pid);
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
  proxy.c.kill('SIGKILL');
  up.c.kill('SIGKILL');
}
