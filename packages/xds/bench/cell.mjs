// One benchmark cell in a fresh process; prints one JSON line.
//   node --expose-gc bench/cell.mjs <workload> throughput <quick|full>
//     both implementations, interleaved in rounds so machine load hits them alike; CPU time per op,
//     best round
//   node --expose-gc bench/cell.mjs <workload> memory:<strait|reflection> <quick|full>
//     codec load time, peak RSS and the heap retained by one decoded result, for one implementation alone
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

const [workload, mode, size] = process.argv.slice(2);
const quick = size === 'quick';
const ROUNDS = quick ? 3 : 9;
const ROUND_MS = quick ? 150 : 400;

function reflectionRoot() {
  // The same protos generate.mjs compiles, loaded at runtime the plain protobufjs way.
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const includes = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d));
  // google/protobuf/descriptor.proto (imported by validate.proto) ships with protobufjs itself.
  includes.push(dirname(require.resolve('protobufjs/package.json')));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    includes.map((base) => join(base, target)).find(existsSync) ?? target;
  root.loadSync([
    'envoy/config/cluster/v3/cluster.proto',
    'envoy/config/endpoint/v3/endpoint.proto',
    'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  ]);
  root.resolveAll();
  return root;
}

async function implementation(impl) {
  if (impl === 'strait') {
    // Imported here, not at the top, so the memory cell can time loading the generated module.
    const { ClusterCodec, ClusterLoadAssignmentCodec } = await import('../dist/index.js');
    return {
      cla: {
        encode: (m) => ClusterLoadAssignmentCodec.encode(m),
        decode: (b) => ClusterLoadAssignmentCodec.decode(b),
      },
      cluster: { encode: (m) => ClusterCodec.encode(m), decode: (b) => ClusterCodec.decode(b) },
    };
  }
  const root = reflectionRoot();
  const Cla = root.lookupType('envoy.config.endpoint.v3.ClusterLoadAssignment');
  const Cluster = root.lookupType('envoy.config.cluster.v3.Cluster');
  return {
    cla: { encode: (m) => Cla.encode(m).finish(), decode: (b) => Cla.decode(b) },
    cluster: { encode: (m) => Cluster.encode(m).finish(), decode: (b) => Cluster.decode(b) },
  };
}

// Loaded after the implementation, so timing the generated module's import is not spoiled by the
// workloads (which use the package's builders) having imported it first.
let workloads;

let inputs;

/** The workload's input messages, built once and shared by both implementations. */
function input() {
  const { bigClusterLoadAssignment, manyClusters } = workloads;
  inputs ??=
    workload === 'cla-100k'
      ? bigClusterLoadAssignment(quick ? 10_000 : 100_000)
      : manyClusters(quick ? 1_000 : 10_000);
  return inputs;
}

/** The work of one op, per implementation: { encode(), decode(), bytes }. */
function ops(impl) {
  if (workload === 'cla-100k') {
    const cla = input();
    const bytes = impl.cla.encode(cla);
    return { bytes: bytes.length, encode: () => impl.cla.encode(cla), decode: () => impl.cla.decode(bytes) };
  }
  const clusters = input();
  const encoded = clusters.map((m) => impl.cluster.encode(m));
  return {
    bytes: encoded.reduce((n, b) => n + b.length, 0),
    encode: () => {
      for (const m of clusters) impl.cluster.encode(m);
    },
    decode: () => encoded.map((b) => impl.cluster.decode(b)),
  };
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs fn for about ROUND_MS of wall time; returns CPU ms per op. */
function round(fn) {
  const wallStart = performance.now();
  const cpuStart = cpuMs();
  let n = 0;
  while (performance.now() - wallStart < ROUND_MS || n < 3) {
    fn();
    n++;
  }
  return (cpuMs() - cpuStart) / n;
}

// The least disturbed round: other processes only ever add time (shared cores, caches, GC threads).
function best(xs) {
  return Math.min(...xs);
}

if (mode === 'throughput') {
  workloads = await import('./workloads.mjs');
  const impls = {
    strait: ops(await implementation('strait')),
    reflection: ops(await implementation('reflection')),
  };
  const samples = {};
  for (const name of Object.keys(impls)) {
    for (const op of ['encode', 'decode']) {
      samples[`${name}/${op}`] = [];
      impls[name][op]();
      impls[name][op](); // warm up: JIT and inline caches
    }
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const op of ['encode', 'decode']) {
      for (const name of r % 2 === 0 ? ['strait', 'reflection'] : ['reflection', 'strait']) {
        globalThis.gc();
        samples[`${name}/${op}`].push(round(impls[name][op]));
      }
    }
  }
  const out = {};
  for (const [name, o] of Object.entries(impls)) {
    out[name] = { bytes: o.bytes };
    for (const op of ['encode', 'decode']) {
      const ms = best(samples[`${name}/${op}`]);
      out[name][op] = { msPerOp: ms, opsPerSec: 1000 / ms, mbPerSec: o.bytes / 2 ** 20 / (ms / 1000) };
    }
  }
  console.log(JSON.stringify(out));
} else {
  const setupStart = performance.now();
  const impl = await implementation(mode.split(':')[1]);
  const setupMs = performance.now() - setupStart;
  workloads = await import('./workloads.mjs');
  const o = ops(impl);
  o.encode();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const kept = o.decode();
  globalThis.gc();
  const retained = process.memoryUsage().heapUsed - before;
  o.encode();
  o.decode();
  console.log(
    JSON.stringify({
      setupMs,
      retainedMiB: retained / 2 ** 20,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      keep: kept === undefined ? 0 : 1,
    }),
  );
}
