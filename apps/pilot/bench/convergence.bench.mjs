// strait-pilot push benchmark: a pilot process, a simulated-proxies process (real gRPC ADS streams),
// this orchestrator. For SotW and Delta: time to full convergence of N proxies over M services x E
// endpoints, pilot CPU seconds and peak RSS, p50/p99 latency of one endpoint change to every
// subscribed proxy, bytes sent per change. Sizes: BENCH_PROXIES, BENCH_SERVICES, BENCH_ENDPOINTS,
// BENCH_CHANGES, BENCH_DEBOUNCE_MS, BENCH_VARIANTS (sotw,delta). Prints a Markdown table.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const env = (k, d) => Number(process.env[k] ?? d);
const proxies = env('BENCH_PROXIES', 300);
const services = env('BENCH_SERVICES', 50);
const endpoints = env('BENCH_ENDPOINTS', 10);
const changes = env('BENCH_CHANGES', 20);
const routeChanges = env('BENCH_ROUTE_CHANGES', 3);
const debounceAfterMs = env('BENCH_DEBOUNCE_MS', 100);
const variants = (process.env.BENCH_VARIANTS ?? 'sotw,delta').split(',');
const convergeTimeoutS = env('BENCH_CONVERGE_TIMEOUT_S', 300);
// Sidecar scoping: BENCH_DEPENDENCIES > 0 gives the proxies BENCH_GROUPS workload groups, each with a
// Sidecar whose egress lists that many services (what a mesh with dependency scoping sends).
const dependencies = env('BENCH_DEPENDENCIES', 0);
const groups = env('BENCH_GROUPS', 100);
const shared = Math.min(dependencies, env('BENCH_SHARED_DEPENDENCIES', 10));
const here = (f) => fileURLToPath(new URL(f, import.meta.url));

function rpc(child) {
  let id = 0;
  return (msg, replyType) => {
    const myId = ++id;
    return new Promise((resolve) => {
      const on = (m) => {
        if (m.type === replyType && (m.id === undefined || m.id === myId)) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.send({ ...msg, id: myId });
    });
  };
}

const pct = (xs, p) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(variant) {
  // BENCH_PILOT_NODE_ARGS="--cpu-prof" profiles the pilot process.
  const execArgv = (process.env.BENCH_PILOT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const pilot = fork(
    here('./pilot-proc.mjs'),
    [JSON.stringify({ services, endpoints, debounceAfterMs, dependencies, groups, shared })],
    {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const seedStart = Date.now();
  const [ready] = await once(pilot, 'message');
  console.error(`${variant}: pilot seeded and listening in ${Date.now() - seedStart} ms`);
  const pilotRpc = rpc(pilot);
  const clients = fork(
    here('./clients.mjs'),
    [JSON.stringify({ address: ready.address, proxies, variant, groups: dependencies > 0 ? groups : 0 })],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  await once(clients, 'message');
  const clientRpc = rpc(clients);
  let errors = 0;
  clients.on('message', (m) => {
    if (m.type !== 'error') return;
    // The first few are printed: a stream error is a finding, not noise.
    if (errors++ < 3) console.error(`${variant}: stream error: ${m.message}`);
  });
  const before = await pilotRpc({ type: 'stats' }, 'stats');
  const clientsBefore = await clientRpc({ type: 'count' }, 'counted');
  const started = await clientRpc({ type: 'start' }, 'started');
  // Bounded: BENCH_CONVERGE_TIMEOUT_S (default 300). A run that does not converge reports how many
  // proxies did, and skips the change phase.
  let timer;
  const converged = await new Promise((resolve) => {
    clients.on('message', (m) => m.type === 'converged' && resolve(m));
    timer = setTimeout(() => resolve(undefined), convergeTimeoutS * 1000);
  });
  clearTimeout(timer);
  const afterConverge = await pilotRpc({ type: 'stats' }, 'stats');
  const clientsAfter = await clientRpc({ type: 'count' }, 'counted');
  const clientCpu = clientsAfter.cpuSeconds - clientsBefore.cpuSeconds;
  if (!converged) {
    const n = clientsAfter.converged;
    clients.kill('SIGKILL');
    // A graceful stop first, so a --cpu-prof pilot writes its profile; then the hard way.
    pilot.send({ type: 'stop' });
    const hard = setTimeout(() => pilot.kill('SIGKILL'), 30_000);
    await once(pilot, 'exit');
    clearTimeout(hard);
    return {
      variant,
      convergeMs: Number.NaN,
      convergedProxies: n,
      convergeCpu: afterConverge.cpuSeconds - before.cpuSeconds,
      clientCpu,
      changeCpu: Number.NaN,
      peakRss: afterConverge.maxRssMiB,
      p50: Number.NaN,
      p99: Number.NaN,
      reached: Number.NaN,
      subscribers: Number.NaN,
      bytesPerChange: Number.NaN,
      messagesPerChange: Number.NaN,
      errors,
    };
  }
  await sleep(500);

  const latencies = [];
  const subscribers = [];
  const bytes = [];
  const messages = [];
  for (let c = 0; c < changes; c++) {
    // Add an endpoint on even rounds, remove it on odd ones: every change touches one service.
    const service = Math.floor(c / 2) % services;
    const cluster = `outbound|8080||svc-${service}.bench.svc.cluster.local`;
    const { expected } = await clientRpc({ type: 'watch', cluster }, 'watching');
    const change = await pilotRpc(
      { type: 'change', service, address: `10.250.0.${(Math.floor(c / 2) % 250) + 1}` },
      'changed',
    );
    // Wait until every subscribed proxy has the change (or 10 s pass: a miss shows in "reached").
    const until = Date.now() + 10_000;
    await sleep(debounceAfterMs);
    while (Date.now() < until && (await clientRpc({ type: 'count' }, 'counted')).arrivals < expected)
      await sleep(20);
    await sleep(100); // stragglers: a second response for the same change would show in responses/change
    const got = await clientRpc({ type: 'collect' }, 'collected');
    for (const a of got.arrivals) latencies.push(a - change.at);
    subscribers.push(expected);
    bytes.push(got.bytes);
    messages.push(got.messages);
  }
  // Config changes: a VirtualService change reaches every proxy that sees svc-0 as new routes.
  const beforeRoutes = await pilotRpc({ type: 'stats' }, 'stats');
  const routeLatencies = [];
  const routeBytes = [];
  const routeSubscribers = [];
  const routeMessages = [];
  for (let c = 0; c < routeChanges; c++) {
    const { expected } = await clientRpc(
      { type: 'watch', watch: 'rds', cluster: 'outbound|8080||svc-0.bench.svc.cluster.local' },
      'watching',
    );
    const change = await pilotRpc({ type: 'route', round: c }, 'routed');
    const until = Date.now() + 30_000;
    await sleep(debounceAfterMs);
    while (Date.now() < until && (await clientRpc({ type: 'count' }, 'counted')).arrivals < expected)
      await sleep(20);
    await sleep(100);
    const got = await clientRpc({ type: 'collect' }, 'collected');
    for (const a of got.arrivals) routeLatencies.push(a - change.at);
    routeSubscribers.push(expected);
    routeBytes.push(got.bytes);
    routeMessages.push(got.messages);
  }
  const end = await pilotRpc({ type: 'stats' }, 'stats');
  clients.send({ type: 'stop' });
  pilot.send({ type: 'stop' });
  await Promise.all([once(clients, 'exit'), once(pilot, 'exit')]);
  return {
    variant,
    convergeMs: converged.at - started.at,
    convergedProxies: proxies,
    convergeCpu: afterConverge.cpuSeconds - before.cpuSeconds,
    clientCpu,
    changeCpu: beforeRoutes.cpuSeconds - afterConverge.cpuSeconds,
    routeCpu: end.cpuSeconds - beforeRoutes.cpuSeconds,
    routeP50: pct(routeLatencies, 50),
    routeP99: pct(routeLatencies, 99),
    routeReached: routeChanges > 0 ? routeLatencies.length / routeChanges : Number.NaN,
    routeSubscribers:
      routeChanges > 0 ? routeSubscribers.reduce((a, b) => a + b, 0) / routeChanges : Number.NaN,
    routeBytes: routeChanges > 0 ? routeBytes.reduce((a, b) => a + b, 0) / routeChanges : Number.NaN,
    routeMessages: routeChanges > 0 ? routeMessages.reduce((a, b) => a + b, 0) / routeChanges : Number.NaN,
    peakRss: end.maxRssMiB,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    reached: latencies.length / changes,
    subscribers: subscribers.reduce((a, b) => a + b, 0) / changes,
    bytesPerChange: bytes.reduce((a, b) => a + b, 0) / changes,
    messagesPerChange: messages.reduce((a, b) => a + b, 0) / changes,
    errors,
  };
}

const t0 = Date.now();
const loadBefore = loadavg()[0];
const rows = [];
for (const v of variants) rows.push(await run(v));
const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
// Same-run baseline: the simulated proxies receive the same bytes and do the least a consumer can
// (walk each response's top level, ACK), so pilot CPU over theirs is a ratio the machine's noise
// mostly cancels out of.
console.log(
  `\nstrait-pilot bench: ${proxies} proxies, ${services} services x ${endpoints} endpoints, ${dependencies > 0 ? `Sidecar scope ${dependencies} services per proxy (${groups} groups, ${shared} services shared by all)` : 'no Sidecar scope (every proxy sees every service)'}, ${changes} endpoint changes, debounce ${debounceAfterMs} ms, ${cpus().length} CPUs, load average ${loadBefore.toFixed(1)} before / ${loadavg()[0].toFixed(1)} after, node ${process.version}, ${((Date.now() - t0) / 1000).toFixed(0)} s total\n`,
);
console.log(
  '| variant | full convergence | pilot CPU (converge) | simulated proxies CPU (converge) | pilot ÷ proxies CPU | pilot CPU (changes) | pilot peak RSS | change → all proxies p50 | p99 | proxies reached / subscribed, per change | bytes sent / change | responses / change | stream errors |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.variant} | ${Number.isFinite(r.convergeMs) ? `${f(r.convergeMs)} ms` : `not within ${convergeTimeoutS} s (${r.convergedProxies}/${proxies} proxies)`} | ${f(r.convergeCpu, 2)} s | ${f(r.clientCpu, 2)} s | ${f(r.convergeCpu / r.clientCpu, 2)} | ${f(r.changeCpu, 2)} s | ${f(r.peakRss)} MiB | ${f(r.p50, 1)} ms | ${f(r.p99, 1)} ms | ${f(r.reached)} / ${f(r.subscribers)} | ${f(r.bytesPerChange)} | ${f(r.messagesPerChange)} | ${r.errors} |`,
  );
}
console.log(
  `\nVirtualService changes (${routeChanges}, each a full push whose changed resource is the route configuration of every proxy that sees svc-0):\n`,
);
console.log(
  '| variant | pilot CPU (changes) | change → all proxies p50 | p99 | proxies reached / subscribed, per change | bytes sent / change |',
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.variant} | ${f(r.routeCpu, 2)} s | ${f(r.routeP50, 1)} ms | ${f(r.routeP99, 1)} ms | ${f(r.routeReached)} / ${f(r.routeSubscribers)} | ${f(r.routeBytes)} | ${f(r.routeMessages)} |`,
  );
}
