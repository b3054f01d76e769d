// Comparative proxy benchmark: in one run, side by side on loopback, the same upstreams reached with no
// proxy, through strait-proxy, nginx, HAProxy and a Node.js reverse proxy (http-proxy), for HTTP/1.1
// keep-alive, gRPC unary and Dubbo. Per target and protocol:
//   requests/s at fixed concurrency (wrk for HTTP/1.1; a Node client for gRPC and Dubbo),
//   p50/p99 latency at a fixed moderate rate (open loop) and what the proxy adds over "no proxy",
//   CPU per 1,000 requests (utime+stime deltas of the proxy process tree, from /proc).
// Every row is measured in this run, back to back, so ratios compare like with like on a noisy machine.
// Writes its section of docs/benchmarks/proxy.md (between the compare markers; the rest is kept).
//
// Usage: node bench/compare/run.mjs (after `pnpm --filter @strait/proxy... build`)
// Env: COMPARE_SECONDS (2) per req/s run, COMPARE_ROUNDS (3) req/s runs per target, COMPARE_LATENCY_SECONDS (3)
//      for the fixed-rate phase, COMPARE_WARMUP_SECONDS (1), COMPARE_CONCURRENCY (32),
//      COMPARE_RATE (100 req/s), COMPARE_PROTOCOLS (http1,grpc,dubbo), COMPARE_TARGETS
//      (none,strait-proxy,nginx,HAProxy,node http-proxy), COMPARE_WRITE (1: update the doc; 0: print only),
//      COMPARE_DUBBO (auto|tcp_proxy|dubbo_proxy: strait-proxy's filter for the Dubbo row),
//      COMPARE_DIST (a strait-proxy build other than this package's dist/), COMPARE_DIST_LABEL (its name in the doc).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, sleep, startChild } from './common.mjs';
import { closedLoop, dubboClient, grpcClient, httpClient, openLoop, wrk } from './load.mjs';
import { startHaproxy, startNginx, startNodeProxy, startStrait } from './proxies.mjs';

const env = process.env;
const num = (name, dflt) => {
  const v = Number(env[name] ?? dflt);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got ${env[name]}`);
  return v;
};
const SECONDS = num('COMPARE_SECONDS', 2);
const ROUNDS = Math.round(num('COMPARE_ROUNDS', 3));
const LATENCY_SECONDS = num('COMPARE_LATENCY_SECONDS', 3);
const WARMUP = num('COMPARE_WARMUP_SECONDS', 1);
const CONCURRENCY = Math.round(num('COMPARE_CONCURRENCY', 32));
const RATE = num('COMPARE_RATE', 100);
const PROTOCOLS = (env.COMPARE_PROTOCOLS ?? 'http1,grpc,dubbo').split(',').map((s) => s.trim());
const TARGETS = (env.COMPARE_TARGETS ?? 'none,strait-proxy,nginx,HAProxy,node http-proxy')
  .split(',')
  .map((s) => s.trim().toLowerCase());
const WRITE = env.COMPARE_WRITE !== '0';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkgDir = join(here, '..', '..');
// COMPARE_DIST: another build of strait-proxy (a dist copy, as ab.mjs takes); default this package's.
const distDir = resolve(env.COMPARE_DIST ?? join(pkgDir, 'dist'));
const bin = join(distDir, 'bin.js');
const doc = join(pkgDir, '..', '..', 'docs', 'benchmarks', 'proxy.md');
const BEGIN = '<!-- compare:begin (written by apps/proxy/bench/compare/run.mjs) -->';
const END = '<!-- compare:end -->';

const want = (name) => TARGETS.includes(name.toLowerCase());
const log = (s) => process.stderr.write(`[compare] ${s}\n`);

const has = (cmd) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** nginx, HAProxy and wrk come from Debian; installed here when missing and we are root. */
function ensureDebianPackages() {
  const missing = [];
  if (want('nginx') && !has('nginx')) missing.push('nginx');
  if (want('nginx') && !existsSync('/usr/lib/nginx/modules/ngx_stream_module.so'))
    missing.push('libnginx-mod-stream');
  if (want('haproxy') && !has('haproxy')) missing.push('haproxy');
  if (!has('wrk')) missing.push('wrk');
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    log(
      `missing Debian packages: ${missing.join(' ')} (run: apt-get install ${missing.join(' ')}); ` +
        'their rows are skipped and HTTP/1.1 throughput falls back to the Node client if wrk is missing',
    );
    return;
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const opts = { stdio: ['ignore', 'ignore', 'inherit'], env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } };
  execFileSync('apt-get', ['update', '-qq'], opts);
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], opts);
}

/** strait-proxy's Dubbo path: the dubbo_proxy filter once it is built, else tcp_proxy. */
function straitDubboFilter() {
  const mode = env.COMPARE_DUBBO ?? 'auto';
  const built = existsSync(join(distDir, 'filters', 'dubbo_proxy', 'filter.js'));
  if (mode === 'tcp_proxy' || (mode === 'auto' && !built)) return undefined;
  return {
    name: 'dubbo_proxy',
    yaml: `
            - name: envoy.filters.network.dubbo_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy
                stat_prefix: dubbo
                route_config: [{ name: bench, interface: "*", routes: [{ match: { method: { name: { exact: echo } } }, route: { cluster: dubbo_up } }] }]
                dubbo_filters: [{ name: envoy.filters.dubbo.router }]`,
  };
}

/** Which strait-proxy build ran: COMPARE_DIST_LABEL, else the commit of this checkout (for dist/). */
function straitVersion() {
  if (env.COMPARE_DIST_LABEL) return env.COMPARE_DIST_LABEL;
  if (env.COMPARE_DIST) return `build in ${env.COMPARE_DIST}`;
  try {
    const head = execFileSync('git', ['-C', pkgDir, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    return `built from ${head} (plus any uncommitted changes)`;
  } catch {
    return 'workspace build';
  }
}

const pkgVersion = (name) => {
  try {
    return JSON.parse(readFileSync(join(pkgDir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
};

/** Which of a target's ports serves each protocol. */
const portKey = { http1: 'http', grpc: 'grpc', dubbo: 'dubbo' };
const clientFor = { http1: httpClient, grpc: grpcClient, dubbo: dubboClient };
const protocolTitle = { http1: 'HTTP/1.1 keep-alive', grpc: 'gRPC unary (h2c)', dubbo: 'Dubbo2' };

/**
 * One protocol across all targets: warm-up each, then ROUNDS rounds of the req/s phase in alternating
 * target order (each target is sampled at several moments, so a burst of load elsewhere on the machine
 * does not land on one row only; the row reports the median), then the fixed-rate latency phase of each.
 */
async function measureProtocol(protocol, targets) {
  const useWrk = protocol === 'http1' && has('wrk');
  const runs = targets.map((t) => {
    const port = t.ports[portKey[protocol]];
    return { t, port, client: clientFor[protocol](port), tput: [], cpu: 0, requests: 0, errors: 0 };
  });
  const load = { seconds: SECONDS, concurrency: CONCURRENCY };
  const closedOrWrk = (run, l) => (useWrk ? wrk(run.port, l) : closedLoop(run.client, l));
  try {
    for (const run of runs) await closedOrWrk(run, { ...load, seconds: WARMUP });
    for (let round = 0; round < ROUNDS; round++) {
      for (const run of round % 2 === 0 ? runs : [...runs].reverse()) {
        const cpu0 = run.t.pid ? cpuSeconds(run.t.pid) : 0;
        const r = await closedOrWrk(run, load);
        if (run.t.pid) run.cpu += cpuSeconds(run.t.pid) - cpu0;
        run.tput.push(r.rps);
        run.requests += r.requests;
        run.errors += r.errors;
      }
    }
    const out = [];
    for (const run of runs) {
      await sleep(200);
      const lat = await openLoop(run.client, { seconds: LATENCY_SECONDS, rate: RATE });
      const r = {
        target: run.t.name,
        ...(run.t.label ? { label: run.t.label } : {}),
        rps: median(run.tput),
        rpsRounds: run.tput,
        cpuMsPer1k: run.t.pid && run.requests ? (run.cpu * 1e6) / run.requests : undefined,
        p50: lat.p50,
        p99: lat.p99,
        tputErrors: run.errors,
        latErrors: lat.errors,
      };
      log(
        `${protocol} ${r.label ?? r.target}: ${r.rps.toFixed(0)} req/s (rounds ${run.tput.map((x) => x.toFixed(0)).join(' ')}), ` +
          `CPU ${r.cpuMsPer1k?.toFixed(0) ?? '-'} ms/1k, @${RATE}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms, ` +
          `errors ${r.tputErrors}+${r.latErrors}`,
      );
      out.push(r);
    }
    return out;
  } finally {
    for (const run of runs) await run.client.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const f = (n, d = 0) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(d));
const ratio = (a, b) => (a === undefined || b === undefined || !b ? '–' : `${(a / b).toFixed(2)}×`);
const added = (v, base) =>
  v === undefined || base === undefined || Number.isNaN(v) || Number.isNaN(base)
    ? '–'
    : `${v - base >= 0 ? '+' : ''}${(v - base).toFixed(2)}`;

function table(protocol, rows) {
  const none = rows.find((r) => r.target === 'none');
  const nginx = rows.find((r) => r.target === 'nginx');
  const lines = [
    `### ${protocolTitle[protocol]}`,
    '',
    `| target | req/s (c=${CONCURRENCY}) | runs | vs none | vs nginx | p50 ms @${RATE}/s | p50 added | p99 ms @${RATE}/s | p99 added | CPU ms / 1k req | CPU vs nginx | errors |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const isNone = r.target === 'none';
    lines.push(
      `| ${r.label ?? r.target} | ${f(r.rps)} | ${r.rpsRounds.map((x) => f(x)).join(' / ')} | ${ratio(r.rps, none?.rps)} | ${ratio(r.rps, nginx?.rps)} | ${f(r.p50, 2)} | ${
        isNone ? '–' : added(r.p50, none?.p50)
      } | ${f(r.p99, 2)} | ${isNone ? '–' : added(r.p99, none?.p99)} | ${f(r.cpuMsPer1k)} | ${
        isNone ? '–' : ratio(r.cpuMsPer1k, nginx?.cpuMsPer1k)
      } | ${r.tputErrors + r.latErrors} |`,
    );
  }
  return lines.join('\n');
}

function writeSection(md) {
  const section = `${BEGIN}\n${md}\n${END}`;
  const cur = existsSync(doc) ? readFileSync(doc, 'utf8') : '# strait-proxy benchmarks\n';
  const a = cur.indexOf(BEGIN);
  const b = cur.indexOf(END);
  const next =
    a >= 0 && b > a
      ? cur.slice(0, a) + section + cur.slice(b + END.length)
      : `${cur.trimEnd()}\n\n${section}\n`;
  writeFileSync(doc, next);
  log(`wrote ${doc}`);
}

async function main() {
  if (!existsSync(bin)) {
    console.error(`compare: ${bin} is missing; run \`pnpm --filter @strait/proxy... build\` first`);
    process.exit(1);
  }
  ensureDebianPackages();
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'strait-compare-'));
  const running = [];
  const cleanup = async () => {
    for (const t of running.splice(0).reverse()) await t.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const upstream = await startChild(process.execPath, [join(here, 'upstream.mjs')], (l) => {
      const m = /UPSTREAM (\{.*\})/.exec(l);
      return m ? JSON.parse(m[1]) : undefined;
    });
    running.push({ stop: async () => void upstream.child.kill('SIGKILL') });
    const up = upstream.ready;
    const targets = [];
    if (want('none'))
      targets.push({ name: 'none', ports: up, version: '', note: 'client straight to the upstream' });
    const starters = [
      ['strait-proxy', () => startStrait({ bin, dir, up, dubboFilter: straitDubboFilter() })],
      ['nginx', () => (has('nginx') ? startNginx({ dir, up }) : undefined)],
      ['HAProxy', () => (has('haproxy') ? startHaproxy({ dir, up }) : undefined)],
      ['node http-proxy', () => startNodeProxy({ up, version: pkgVersion('http-proxy') })],
    ];
    for (const [name, start] of starters) {
      if (!want(name)) continue;
      const t = await start();
      if (!t) {
        log(`${name}: not installed, skipped`);
        continue;
      }
      if (name === 'strait-proxy') t.version = straitVersion();
      running.push(t);
      targets.push(t);
      if (t.ports.dubboTcp)
        targets.push({
          ...t,
          name: 'strait-proxy',
          label: 'strait-proxy (tcp_proxy)',
          ports: { dubbo: t.ports.dubboTcp },
        });
      log(`${name} ${t.version} up: ${JSON.stringify(t.ports)}`);
    }
    const results = {};
    for (const protocol of PROTOCOLS) {
      if (!clientFor[protocol]) throw new Error(`unknown protocol ${protocol} (http1, grpc, dubbo)`);
      results[protocol] = await measureProtocol(
        protocol,
        targets
          .filter((t) => t.ports[portKey[protocol]])
          .map((t) =>
            protocol === 'dubbo' && t.name === 'strait-proxy' && !t.label
              ? { ...t, label: `strait-proxy (${t.note.replace('Dubbo through ', '')})` }
              : t,
          ),
      );
    }
    const elapsed = ((Date.now() - started) / 1000).toFixed(0);
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const versions = targets
      .filter((t) => t.name !== 'none' && !t.label)
      .map((t) => `${t.name} ${t.version} (${t.note})`)
      .join('; ');
    const md = `## Comparison: no proxy, strait-proxy, nginx, HAProxy, Node.js http-proxy

Produced by \`node apps/proxy/bench/compare/run.mjs\` (part of \`pnpm --filter @strait/proxy bench\`;
how to run and filter: \`apps/proxy/bench/compare/README.md\`). All rows come from one run (${date} UTC,
${elapsed} s), measured back to back against the same upstreams on 127.0.0.1; read the ratios, not the absolute
numbers: the machine is shared (${cpus().length} CPU(s), ${cpus()[0]?.model?.trim() ?? 'unknown'}, Node.js ${process.version}).

- Proxies: ${versions}. One worker each (strait-proxy and http-proxy are one event loop; nginx
  \`worker_processes 1\`, HAProxy \`nbthread 1\`), access logs off, keep-alive to the upstream (nginx
  \`keepalive 64\`, HAProxy \`http-reuse always\`, http-proxy a keep-alive Agent), h2c in and HTTP/2 out for
  gRPC (nginx \`grpc_pass\`, HAProxy \`proto h2\`), Dubbo as TCP for nginx (\`stream\`) and HAProxy (\`mode tcp\`).
- Upstreams (one separate Node.js process): node:http answering 256 bytes; @grpc/grpc-js unary echo with a
  256-byte reply; @strait/dubbo's DubboProvider echoing a 32-character string.
- req/s: ${CONCURRENCY} connections / in-flight calls, the median of ${ROUNDS} runs of ${SECONDS} s per target, run in
  alternating target order after ${WARMUP} s of warm-up each. HTTP/1.1 with
  \`wrk -t1 -c${CONCURRENCY}\`; gRPC with one @grpc/grpc-js channel (one HTTP/2 connection); Dubbo with one
  DubboConsumer (one multiplexed connection). The Node clients saturate before fast proxies do, so for gRPC
  and Dubbo the ceiling is partly the client's.
- Latency: an open-loop generator sending exactly ${RATE} req/s for ${LATENCY_SECONDS} s, latency counted from each
  request's scheduled send time; "added" is the target's percentile minus no-proxy's.
- CPU: utime+stime of the proxy's processes (nginx: master + worker) over all req/s runs, per 1,000 requests
  (ms per 1,000 requests = µs per request). Of all the columns this one moves least between runs on a loaded
  machine; req/s can move several-fold from one run to the next ("runs" shows each), so compare req/s
  ratios only where the runs agree.
- http-proxy (the Node.js proxy): it is what http-proxy-middleware (Express, Next.js, webpack-dev-server
  setups) runs on, the most used Node reverse proxy by far; it speaks HTTP/1.1 only, so it has no gRPC or
  Dubbo rows.

${PROTOCOLS.map((p) => table(p, results[p])).join('\n\n')}
`;
    process.stdout.write(`\n${md}\n`);
    if (WRITE) writeSection(md);
  } finally {
    await cleanup();
  }
}

await main();
