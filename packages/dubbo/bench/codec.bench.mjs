// Dubbo2 codec benchmark: the routing fast path (peekRequest: envelope + attachments, arguments skipped by the
// Hessian2 skipper) against the full-decode baseline (decodeRequest: the same plus every argument through
// hessian.js), measured in the same run, in interleaved rounds, so machine load hits both alike.
//
//   pnpm --filter @strait/dubbo bench             # ~30 s
//   pnpm --filter @strait/dubbo bench -- --quick  # ~5 s smoke run
//   pnpm --filter @strait/dubbo bench -- --filter=order   # only workloads whose name contains "order"
//
// Uses the built package (dist/), as a user would: run `pnpm --filter @strait/dubbo build` first (turbo does).
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  FrameDecoder,
  peekRequest,
  peekResponse,
  rawArgsOf,
  writeRequestId,
} from '../dist/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filter = args.find((a) => a.startsWith('--filter='))?.slice('--filter='.length);
const ROUNDS = quick ? 5 : 15;
const ROUND_MS = quick ? 60 : 200;

const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../test/fixtures/dubbo-java.json', import.meta.url)), 'utf8'),
);
const javaFrame = (name) => Buffer.from(fixture.frames.find((f) => f.name === name).hex, 'hex');

const ATTACHMENTS = {
  path: 'com.example.OrderService',
  interface: 'com.example.OrderService',
  version: '1.0.0',
  group: 'online',
  timeout: '3000',
  'remote.application': 'checkout',
  traceid: '7f3c2a9b1d4e',
};

function orderRequest(items) {
  return encodeRequest({
    id: 1n,
    service: 'com.example.OrderService',
    version: '1.0.0',
    method: 'placeOrder',
    parameterTypes: 'Ljava/lang/String;JLjava/util/Map;Ljava/util/List;',
    args: [
      'order-2026-000123',
      { $class: 'long', $: 9876543210 },
      { channel: 'app', coupon: 'SPRING', region: 'cn-hangzhou', vip: true, score: 12.5 },
      Array.from({ length: items }, (_, i) => ({
        $class: 'com.example.OrderItem',
        $: {
          sku: `SKU-${100000 + i}`,
          qty: 1 + (i % 3),
          price: 1999 + i,
          title: `商品 ${i} description text`,
        },
      })),
    ],
    attachments: ATTACHMENTS,
  });
}

const WORKLOADS = [
  {
    name: 'java-mixed-args',
    label: 'real Dubbo 3.3.4 request, 7 mixed args',
    frame: javaFrame('request-mixed-args'),
  },
  { name: 'order-small', label: 'order request, 3 items', frame: orderRequest(3) },
  { name: 'order-large', label: 'order request, 200 items', frame: orderRequest(200) },
].filter((w) => filter === undefined || w.name.includes(filter));

/** CPU microseconds per op: run fn in a loop for about `ms`, count ops. */
function round(fn, ms) {
  let ops = 0;
  const startWall = performance.now();
  const start = process.cpuUsage();
  while (performance.now() - startWall < ms) {
    for (let i = 0; i < 64; i++) fn();
    ops += 64;
  }
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / ops;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compare(cases) {
  for (const c of cases) round(c.fn, ROUND_MS / 2); // warm up
  const samples = cases.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    cases.forEach((c, i) => {
      samples[i].push(round(c.fn, ROUND_MS));
    });
    globalThis.gc?.();
  }
  return cases.map((c, i) => ({ ...c, usPerOp: median(samples[i]) }));
}

const fmt = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

console.log(`\n@strait/dubbo codec benchmark (${new Date().toISOString()})`);
console.log(
  `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30)} GiB`,
);
console.log(`CPU time per op, median of ${ROUNDS} interleaved rounds of ${ROUND_MS} ms.\n`);
const rows = [['workload', 'frame bytes', 'op', 'ops/s', 'µs/op', 'MB/s', 'vs full decode']];

for (const w of WORKLOADS) {
  const frame = w.frame;
  const route = peekRequest(frame);
  const copy = Buffer.allocUnsafe(frame.length);
  const results = compare([
    { op: 'full decode (baseline: hessian.js args)', fn: () => decodeRequest(frame), baseline: true },
    { op: 'fast path (peekRequest)', fn: () => peekRequest(frame) },
    {
      op: 'fast path + forward (copy, new id)',
      fn: () => {
        peekRequest(frame);
        frame.copy(copy);
        writeRequestId(copy, 7n);
      },
    },
    { op: 'encode (args from JS values)', fn: () => encodeRequest(decodedFor(w)) },
    {
      op: 're-encode (raw args, new attachments)',
      fn: () => encodeRequest({ ...route, rawArgs: rawArgsOf(route) }, route.types),
    },
  ]);
  const base = results.find((r) => r.baseline).usPerOp;
  for (const r of results) {
    rows.push([
      w.name,
      String(frame.length),
      r.op,
      fmt(1e6 / r.usPerOp, 0),
      fmt(r.usPerOp, 2),
      fmt(frame.length / r.usPerOp, 0),
      r.baseline ? '1.0x' : `${fmt(base / r.usPerOp)}x`,
    ]);
  }
}

// Streaming framer over a coalesced stream of real frames.
{
  const frames = fixture.frames.map((f) => Buffer.from(f.hex, 'hex')).filter((b) => b.length < 4096);
  const stream = Buffer.concat(Array.from({ length: 64 }, () => frames).flat());
  const chunks = [];
  for (let i = 0; i < stream.length; i += 1460) chunks.push(stream.subarray(i, i + 1460));
  const [r] = compare([
    {
      op: 'FrameDecoder, 1460-byte chunks',
      fn: () => {
        const d = new FrameDecoder();
        for (const c of chunks) d.push(c);
      },
    },
  ]);
  rows.push([
    'framer',
    String(stream.length),
    r.op,
    fmt(1e6 / r.usPerOp, 0),
    fmt(r.usPerOp, 2),
    fmt(stream.length / r.usPerOp, 0),
    '',
  ]);
}

// Responses: fast path vs full decode.
{
  const frame = encodeResponse({
    id: 1n,
    value: Array.from({ length: 50 }, (_, i) => ({
      $class: 'com.example.Order',
      $: { id: i, state: 'PAID', total: 19.99 },
    })),
    attachments: { dubbo: '2.0.2' },
  });
  const results = compare([
    { op: 'response full decode (baseline)', fn: () => decodeResponse(frame), baseline: true },
    { op: 'response fast path (peekResponse)', fn: () => peekResponse(frame) },
  ]);
  const base = results[0].usPerOp;
  for (const r of results) {
    rows.push([
      'response-50-orders',
      String(frame.length),
      r.op,
      fmt(1e6 / r.usPerOp, 0),
      fmt(r.usPerOp, 2),
      fmt(frame.length / r.usPerOp, 0),
      r.baseline ? '1.0x' : `${fmt(base / r.usPerOp)}x`,
    ]);
  }
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r) =>
  `| ${r.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
console.log(line(rows[0]));
console.log(`|${widths.map((w, i) => (i >= 3 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
for (const r of rows.slice(1)) console.log(line(r));

function decodedFor(w) {
  w.decoded ??= decodeRequest(w.frame, { withType: true });
  return w.decoded;
}
