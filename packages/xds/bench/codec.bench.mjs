// Codec benchmark: @strait/xds (generated static protobufjs code behind typed codecs with located
// decode errors) against plain protobufjs reflection (a Root loaded from the same .proto files at
// runtime, lookupType) doing the same work in the same run.
//
//   pnpm --filter @strait/xds bench            # everything, ~1 minute
//   pnpm --filter @strait/xds bench -- --quick # smaller inputs, for a smoke run
//
// Each workload runs in child processes: one timing both implementations in interleaved rounds, and
// one per implementation for peak memory.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const quick = args.includes('--quick');

const WORKLOADS = [
  { name: 'cla-100k', label: `ClusterLoadAssignment, ${quick ? '10,000' : '100,000'} endpoints` },
  { name: 'clusters-10k', label: `${quick ? '1,000' : '10,000'} Clusters (each encoded / decoded alone)` },
];
const IMPLS = ['strait', 'reflection'];

function fmt(n, digits = 1) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function cell(workload, mode) {
  const out = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      fileURLToPath(new URL('./cell.mjs', import.meta.url)),
      workload,
      mode,
      quick ? 'quick' : 'full',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').pop());
}

function main() {
  const results = {};
  for (const w of WORKLOADS) {
    const speed = cell(w.name, 'throughput');
    for (const impl of IMPLS)
      results[`${w.name}/${impl}`] = { ...speed[impl], ...cell(w.name, `memory:${impl}`) };
  }
  console.log(`\n@strait/xds codec benchmark (${new Date().toISOString()})`);
  console.log(
    `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30)} GiB`,
  );
  console.log(
    'ops/s and MB/s from CPU time per op (best of interleaved rounds), so other load on the machine',
  );
  console.log('affects both implementations alike; memory from a separate process per implementation.\n');
  const header = ['workload', 'op', 'impl', 'ops/s', 'CPU ms/op', 'MB/s', 'vs reflection'];
  const rows = [];
  for (const w of WORKLOADS) {
    for (const op of ['encode', 'decode']) {
      const base = results[`${w.name}/reflection`][op];
      for (const impl of IMPLS) {
        const r = results[`${w.name}/${impl}`][op];
        rows.push([
          w.label,
          op,
          impl,
          fmt(r.opsPerSec, 2),
          fmt(r.msPerOp, 1),
          fmt(r.mbPerSec),
          impl === 'reflection' ? '1.00x' : `${fmt(r.opsPerSec / base.opsPerSec, 2)}x`,
        ]);
      }
    }
  }
  const table = (rs, head) =>
    [head, head.map(() => '---'), ...rs].map((r) => `| ${r.join(' | ')} |`).join('\n');
  console.log(table(rows, header));
  const mem = [];
  for (const w of WORKLOADS) {
    for (const impl of IMPLS) {
      const r = results[`${w.name}/${impl}`];
      mem.push([
        w.label,
        impl,
        fmt(r.setupMs, 0),
        fmt(r.bytes / 2 ** 20, 2),
        fmt(r.retainedMiB),
        fmt(r.peakRssMiB),
      ]);
    }
  }
  console.log('');
  console.log(
    table(mem, [
      'workload',
      'impl',
      'codec load ms',
      'encoded MiB',
      'decoded object heap MiB',
      'peak RSS MiB',
    ]),
  );
}

if (process.argv[1] === self) main();
