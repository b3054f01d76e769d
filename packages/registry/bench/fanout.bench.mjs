// Watch fan-out: N instances in one service, W watchers, one change. How long until every watcher has
// applied it, and how many bytes were pushed — for the in-process embedded registry and the networked
// one (strait-registry over gRPC on loopback), each against a naive "push the full snapshot on every
// change" baseline measured in the same run.
//
//   pnpm bench                         (defaults: 10,000 instances, 1,000 watchers, 5 rounds)
//   BENCH_INSTANCES=2000 BENCH_WATCHERS=200 BENCH_ROUNDS=3 BENCH_ONLY=inproc pnpm bench
//
// Uses the built package (dist/), as a user would. Every watcher is a real consumer: it keeps a Map of
// the service's instances and applies each event (rebuild on snapshot/resync, patch on delta).
import { performance } from 'node:perf_hooks';
import {
  InProcessRegistry,
  MemoryStore,
  normalizeInstance,
  RegistryServer,
  RemoteRegistry,
  WatchChannel,
} from '../dist/index.js';
import { encodeWatchResponse, toWire } from '../dist/server/proto.js';

const N = Number(process.env.BENCH_INSTANCES ?? 10_000);
const W = Number(process.env.BENCH_WATCHERS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ONLY = process.env.BENCH_ONLY ?? '';
// The networked run decodes a full snapshot per watcher for the initial sync and for every baseline
// push (10,000 instances ≈ 2 MB each), which costs minutes at 1,000 watchers on a small machine; its
// default watcher count is lower, and BENCH_NET_WATCHERS=1000 runs the full scale.
const NET_W = Number(process.env.BENCH_NET_WATCHERS ?? 200);
const NET_MODES = (process.env.BENCH_NET_MODES ?? 'delta,full').split(',');
const SERVICE = 'org.apache.dubbo.demo.DemoService';

const spec = (n, weight = 100) => ({
  service: SERVICE,
  address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
  port: 20880,
  protocol: 'dubbo',
  weight,
  labels: { version: 'v1', cell: `cell-${n % 16}`, zone: `zone-${n % 4}`, region: 'region-a' },
  application: 'demo-provider',
  interfaces: [SERVICE],
});

/** A consumer: applies events into its own map; resolves waiters once it has seen a revision. */
function consume(watch, tracker) {
  const state = new Map();
  (async () => {
    for await (const ev of watch) {
      if (ev.type === 'delta') {
        for (const i of ev.added) state.set(i.id, i);
        for (const i of ev.updated) state.set(i.id, i);
        for (const id of ev.removed) state.delete(id);
      } else {
        state.clear();
        for (const i of ev.instances) state.set(i.id, i);
      }
      tracker.seen(ev.revision, state.size);
    }
  })();
}

/** Counts watchers that reached a revision; `wait(rev)` resolves when all W have. */
function makeTracker(total) {
  let target = Number.POSITIVE_INFINITY;
  let count = 0;
  let resolve = () => {};
  let last = 0;
  return {
    seen(revision) {
      if (revision >= target) {
        count++;
        last = performance.now();
        if (count === total) resolve();
      }
    },
    arm(revision) {
      target = revision;
      count = 0;
      return new Promise((r) => {
        resolve = () => r(last);
      });
    },
  };
}

const fmtMs = (ms) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
const fmtBytes = (b) =>
  b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The naive in-process design: on every change, each watcher is handed the full snapshot. */
class NaiveStore {
  constructor() {
    this.map = new Map();
    this.revision = 0;
    this.listeners = new Set();
  }
  put(instance) {
    this.map.set(instance.id, instance);
    this.revision++;
    const snapshot = [...this.map.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const l of this.listeners) l.pushSnapshot(this.revision, snapshot);
  }
}

async function inProcess(mode) {
  const store = new MemoryStore();
  const writer = new InProcessRegistry(store, { defaultTtlMs: 600_000 });
  for (let n = 0; n < N; n++) await writer.register(spec(n), { liveness: { kind: 'session' } });
  const tracker = makeTracker(W);
  let naive;
  if (mode === 'full') {
    naive = new NaiveStore();
    for (const i of await writer.list(SERVICE)) naive.map.set(i.id, i);
    naive.revision = store.revision;
  }
  const metrics = store.metrics;
  for (let w = 0; w < W; w++) {
    if (mode === 'delta') consume(writer.watch(SERVICE), tracker);
    else {
      // A bounded channel per watcher, fed the full snapshot on every change.
      const ch = new WatchChannel(
        SERVICE,
        { maxBufferedEvents: 2 * N + 2 },
        metrics,
        () => ({ revision: naive.revision, instances: [...naive.map.values()] }),
        () => naive.listeners.delete(ch),
      );
      ch.pushSnapshot(naive.revision, [...naive.map.values()]);
      naive.listeners.add(ch);
      consume(ch, tracker);
    }
  }
  await new Promise((r) => setTimeout(r, 50)); // let every consumer take its initial snapshot
  const times = [];
  let bytes = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const changed = { ...spec(round), weight: 100 + round };
    const rev = (mode === 'delta' ? store.revision : naive.revision) + 1;
    const done = tracker.arm(rev);
    const t0 = performance.now();
    const reg = await writer.register(changed, { liveness: { kind: 'session' } });
    if (mode === 'full') naive.put(reg.instance);
    const t1 = await done;
    times.push(t1 - t0);
    // What each watcher's event would weigh on the wire, as the registry proto encodes it.
    const one =
      mode === 'delta'
        ? encodeWatchResponse({
            type: 'DELTA',
            service: SERVICE,
            revision: rev,
            updated: [toWire(reg.instance)],
          }).length
        : encodeWatchResponse({
            type: 'RESYNC',
            service: SERVICE,
            revision: rev,
            instances: [...naive.map.values()].map(toWire),
          }).length;
    bytes = one * W;
  }
  await writer.close();
  store.close();
  return { time: median(times), bytes };
}

/** Both modes over the same server and connected watchers (the initial sync is the slow part). */
async function networked(W) {
  const server = new RegistryServer({ pushMode: 'delta', maxPendingBytes: 1 << 30 });
  const port = await server.listen('127.0.0.1:0');
  const address = `127.0.0.1:${port}`;
  // Every client gets its own connection, as separate proxies would (and the writer's acks do not queue
  // behind snapshot pushes).
  const own = { 'grpc.use_local_subchannel_pool': 1 };
  const writer = new RemoteRegistry(address, {
    sessionTtlMs: 600_000,
    callTimeoutMs: 600_000,
    channelOptions: own,
  });
  // Setup is not what is measured: load the N instances straight into the server's store.
  const lease = server.store.grantLease(600_000);
  for (let n = 0; n < N; n++) server.store.put(normalizeInstance(spec(n)), lease);
  const tracker = makeTracker(W);
  const clients = [];
  const ready = makeTracker(W);
  const allReady = ready.arm(server.store.revision);
  const t0 = performance.now();
  for (let w = 0; w < W; w++) {
    // One client per watcher: each is a separate proxy with its own stream.
    const c = new RemoteRegistry(address, { callTimeoutMs: 600_000, channelOptions: own });
    clients.push(c);
    consume(c.watch(SERVICE), {
      seen: (rev, size) => {
        ready.seen(size === N ? rev : -1);
        tracker.seen(rev);
      },
    });
  }
  await allReady;
  const syncMs = performance.now() - t0;
  console.error(`networked: ${W} watchers synced in ${syncMs.toFixed(0)} ms`);
  const results = {};
  let round = 0;
  for (const mode of NET_MODES) {
    server.pushMode = mode;
    const times = [];
    let bytes = 0;
    for (let r = 1; r <= ROUNDS; r++) {
      round++;
      const rev = server.store.revision + 1;
      const done = tracker.arm(rev);
      const before = server.bytesPushed;
      const start = performance.now();
      await writer.register({ ...spec(round), weight: 100 + round }, { liveness: { kind: 'session' } });
      times.push((await done) - start);
      bytes = server.bytesPushed - before;
      // Collect and let background GC threads settle, so one round's garbage does not tax the next.
      globalThis.gc?.();
      await new Promise((r) => setTimeout(r, 500));
    }
    results[mode] = { time: median(times), bytes };
    console.error(
      `networked ${mode}: rounds ${times.map((t) => t.toFixed(1)).join(', ')} ms; ${bytes} bytes`,
    );
  }
  for (const c of clients) c.abandon();
  await writer.close();
  await server.close();
  return { ...results, syncMs };
}

function report(name, watchers, delta, full) {
  console.log(
    `\n${name}: ${N.toLocaleString()} instances, ${watchers.toLocaleString()} watchers, one change (median of ${ROUNDS})`,
  );
  console.log(
    `  incremental delta push : ${fmtMs(delta.time).padStart(10)}  ${fmtBytes(delta.bytes).padStart(10)}`,
  );
  if (!full) return;
  console.log(
    `  full-snapshot baseline : ${fmtMs(full.time).padStart(10)}  ${fmtBytes(full.bytes).padStart(10)}`,
  );
  console.log(
    `  ratio (baseline/delta) : time ${(full.time / delta.time).toFixed(1)}x, bytes ${(full.bytes / delta.bytes).toFixed(0)}x`,
  );
}

if (ONLY === '' || ONLY === 'inproc') {
  const delta = await inProcess('delta');
  globalThis.gc?.();
  const full = await inProcess('full');
  globalThis.gc?.();
  report('embedded in-process', W, delta, full);
}
if (ONLY === '' || ONLY === 'net') {
  const { delta, full, syncMs } = await networked(NET_W);
  report('embedded networked (gRPC, loopback, one process)', NET_W, delta, full);
  console.log(`  (initial sync of all watchers, not part of the above: ${fmtMs(syncMs)})`);
}
process.exit(0);
