// Interface-level vs application-level discovery: what one watcher of a whole application receives.
//
// Fleet: BENCH_HOSTS hosts (default 1,000) of one application, each exporting BENCH_INTERFACES Dubbo
// interfaces (default 10), registered as Dubbo 3.3.4 writes them (URL parameters and instance JSON shaped
// like the committed interop fixture, test/backends/zookeeper/fixtures/dubbo-3.3.4-provider.json).
//
//   interface level: /dubbo/<interface>/providers/<URL>   → one record per interface per host (k·n)
//   application level: /services/<app>/<host:port> + /dubbo/mapping/<interface> + one metadata
//                    document per distinct revision       → n + k + r records
//
// Two measurements, same run:
//   1. payload: records and bytes of the registry data itself (child names + node data a reader needs),
//      and of the Strait watch snapshot a consumer is handed (JSON of the Instances), from the pure
//      modules (app-level.ts aggregate(), the layout codecs);
//   2. real ZooKeeper (skipped with BENCH_ZK=0 or when Debian's zookeeper jar is missing): both layouts
//      written into a fresh server, then a new ZooKeeperRegistry watches everything through a loopback
//      proxy that counts the bytes the server sends it (ZooKeeper framing included), and the time until
//      its snapshots are complete.
//
//   pnpm build && node bench/app-vs-interface.bench.mjs
//   BENCH_HOSTS=200 BENCH_INTERFACES=5 BENCH_ZK=0 node bench/app-vs-interface.bench.mjs
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { aggregate, META_REVISION } from '../dist/app-level.js';
import { ZkConnection } from '../dist/backends/zookeeper/client.js';
import { parseZooKeeperUrl } from '../dist/backends/zookeeper/config.js';
import { encodeNodeName, formatDubboUrl } from '../dist/backends/zookeeper/dubbo-url.js';
import { decodeProviderNode } from '../dist/backends/zookeeper/interface-layout.js';
import { ZooKeeperRegistry } from '../dist/backends/zookeeper/registry.js';

const N = Number(process.env.BENCH_HOSTS ?? 1_000);
const K = Number(process.env.BENCH_INTERFACES ?? 10);
const APP = 'shop-provider';
const PORT = 20880;
const ZK_JAR = '/usr/share/java/zookeeper.jar';
const WITH_ZK = process.env.BENCH_ZK !== '0' && existsSync(ZK_JAR);

const ifaces = Array.from({ length: K }, (_, i) => `com.shop.api.Service${String(i).padStart(2, '0')}Facade`);
const hosts = Array.from({ length: N }, (_, h) => `10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}`);
const methods = (i) => ['query', 'create', 'update', 'delete', 'batchQuery', `custom${i}`].sort().join(',');

/** A provider URL as Dubbo 3.3.4 registers it (the parameter set of the interop fixture). */
function providerUrl(host, iface, i, ts) {
  return formatDubboUrl({
    protocol: 'dubbo',
    host,
    port: PORT,
    path: iface,
    params: {
      application: APP,
      deprecated: 'false',
      dubbo: '2.0.2',
      dynamic: 'true',
      generic: 'false',
      group: 'prod',
      interface: iface,
      methods: methods(i),
      'prefer.serialization': 'hessian2,fastjson2',
      release: '3.3.4',
      revision: '1.0.0',
      'service-name-mapping': 'true',
      side: 'provider',
      timestamp: String(ts),
      version: '1.0.0',
      weight: '100',
    },
  });
}

/** An application instance node's data as Dubbo 3.3.4 writes it (Curator ServiceInstance JSON). */
function instanceJson(host, revision, ts) {
  const id = `${host}:${PORT}`;
  return JSON.stringify({
    name: APP,
    id,
    address: host,
    port: PORT,
    sslPort: null,
    payload: {
      '@class': 'org.apache.dubbo.registry.zookeeper.ZookeeperInstance',
      id,
      name: APP,
      metadata: {
        'dubbo.endpoints': JSON.stringify([{ port: PORT, protocol: 'dubbo' }]),
        'dubbo.metadata-service.url-params': JSON.stringify({
          'prefer.serialization': 'hessian2,fastjson2',
          version: '1.0.0',
          dubbo: '2.0.2',
          release: '3.3.4',
          side: 'provider',
          port: String(PORT),
          protocol: 'dubbo',
        }),
        'dubbo.metadata.revision': revision,
        'dubbo.metadata.storage-type': 'local',
        'meta-v': '1.0.0',
        timestamp: String(ts),
      },
    },
    registrationTimeUTC: ts,
    serviceType: 'DYNAMIC',
    uriSpec: null,
  });
}

const bytes = (s) => Buffer.byteLength(s, 'utf8');
const fmt = (n) => n.toLocaleString('en-US');
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

// ---------------------------------------------------------------- 1. payload accounting (pure)
const ts0 = 1_700_000_000_000;
const providerNodes = []; // { iface, name }
for (const [h, host] of hosts.entries()) {
  for (const [i, iface] of ifaces.entries()) {
    providerNodes.push({ iface, name: encodeNodeName(providerUrl(host, iface, i, ts0 + h)) });
  }
}
let t = performance.now();
const records = providerNodes.map(({ iface, name }) => {
  const r = decodeProviderNode(name, undefined, iface);
  if (!r.ok) throw new Error(r.error);
  return r.value;
});
const decodeMs = performance.now() - t;
t = performance.now();
const view = aggregate(records);
const aggregateMs = performance.now() - t;
if (view.instances.length !== N || view.metadata.size !== 1) throw new Error('unexpected aggregate shape');
const revision = view.instances[0].metadata[META_REVISION];

const ifaceZkBytes = providerNodes.reduce((s, n) => s + bytes(n.name), 0);
const appNodes = hosts.map((host, h) => ({
  name: `${host}:${PORT}`,
  data: instanceJson(host, revision, ts0 + h),
}));
const mappingBytes = ifaces.reduce((s, i) => s + bytes(i) + bytes(APP), 0);
const metadataDoc = JSON.stringify({ app: APP, revision, services: [...view.metadata.values()][0] });
const appZkBytes =
  appNodes.reduce((s, n) => s + bytes(n.name) + bytes(n.data), 0) +
  mappingBytes +
  bytes(metadataDoc) * view.metadata.size;
const ifaceRecords = providerNodes.length;
const appRecords = appNodes.length + ifaces.length + view.metadata.size;

const ifaceEventBytes = bytes(JSON.stringify(records));
const appEventBytes =
  bytes(JSON.stringify(view.instances)) +
  bytes(JSON.stringify([...view.mapping])) +
  bytes(JSON.stringify([...view.metadata]));

const rows = [
  ['registry records a watcher reads', ifaceRecords, appRecords],
  ['registry payload bytes (names + data)', ifaceZkBytes, appZkBytes],
  ['Strait snapshot bytes (Instance JSON)', ifaceEventBytes, appEventBytes],
];
console.log(`\nfleet: ${fmt(N)} hosts × ${K} interfaces of one application (Dubbo 3.3.4 shapes)\n`);
console.log('| measure | interface level | application level | ratio |');
console.log('|---|---:|---:|---:|');
for (const [name, a, b] of rows) {
  const show = (v) => (name.includes('bytes') ? `${fmt(v)} (${kib(v)})` : fmt(v));
  console.log(`| ${name} | ${show(a)} | ${show(b)} | ${(a / b).toFixed(1)}x |`);
}
console.log(
  `\npure cost: decode ${fmt(records.length)} provider URLs ${decodeMs.toFixed(1)} ms; aggregate() ${aggregateMs.toFixed(1)} ms`,
);

// ---------------------------------------------------------------- 2. against a real ZooKeeper
async function freePort() {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

async function ruok(port) {
  return new Promise((res) => {
    let out = '';
    const c = createConnection({ host: '127.0.0.1', port });
    c.setTimeout(500, () => c.destroy());
    c.on('connect', () => c.write('ruok'));
    c.on('data', (b) => {
      out += b;
    });
    c.on('close', () => res(out === 'imok'));
    c.on('error', () => res(false));
  });
}

async function startZk() {
  const dir = mkdtempSync(join(tmpdir(), 'strait-bench-zk-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'zoo.cfg'),
    `tickTime=500\ndataDir=${dir}/data\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\nmaxClientCnxns=0\nforceSync=no\n`,
  );
  const child = spawn(
    'java',
    [
      '-Xmx512m',
      '-XX:+UseSerialGC',
      '-cp',
      ZK_JAR,
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      join(dir, 'zoo.cfg'),
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 30_000;
  while (!(await ruok(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('ZooKeeper did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    async stop() {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Loopback proxy that counts bytes flowing server → client. */
async function countingProxy(target) {
  let down = 0;
  const socks = new Set();
  const server = createServer((c) => {
    const u = createConnection({ host: '127.0.0.1', port: target });
    socks.add(c).add(u);
    u.on('data', (b) => {
      down += b.length;
    });
    c.pipe(u);
    u.pipe(c);
    c.on('close', () => u.destroy());
    u.on('close', () => c.destroy());
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    reset() {
      down = 0;
    },
    get bytes() {
      return down;
    },
    close() {
      for (const s of socks) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

async function inBatches(items, size, fn) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

/** Resolves when every watch has delivered its first event holding `want` instances in total. */
async function snapshots(watches, want) {
  let total = 0;
  await Promise.all(
    watches.map(async (w) => {
      for await (const ev of w) {
        if (ev.type === 'snapshot' || ev.type === 'resync') {
          total += ev.instances.length;
          break;
        }
      }
    }),
  );
  if (total !== want) throw new Error(`expected ${want} instances, got ${total}`);
}

if (WITH_ZK) {
  const zk = await startZk();
  const writer = await ZkConnection.open({
    connectString: `127.0.0.1:${zk.port}`,
    sessionTimeoutMs: 30_000,
    connectTimeoutMs: 30_000,
    opTimeoutMs: 60_000,
  });
  for (const i of ifaces) await writer.mkdirp(`/dubbo/${i}/providers`);
  await writer.mkdirp(`/services/${APP}`);
  await writer.mkdirp('/dubbo/mapping');
  t = performance.now();
  await inBatches(providerNodes, 500, (n) =>
    writer.create(`/dubbo/${n.iface}/providers/${n.name}`, Buffer.from('127.0.0.1'), 'ephemeral'),
  );
  await inBatches(appNodes, 500, (n) =>
    writer.create(`/services/${APP}/${n.name}`, Buffer.from(n.data), 'ephemeral'),
  );
  for (const i of ifaces) await writer.create(`/dubbo/mapping/${i}`, Buffer.from(APP), 'persistent');
  const writeMs = performance.now() - t;

  const measure = async (layout, run) => {
    const proxy = await countingProxy(zk.port);
    const r = await ZooKeeperRegistry.connect(
      parseZooKeeperUrl(new URL(`zookeeper://127.0.0.1:${proxy.port}?layout=${layout}&opTimeoutMs=60000`)),
    );
    proxy.reset(); // exclude the session handshake
    const start = performance.now();
    await run(r);
    const ms = performance.now() - start;
    const out = { bytes: proxy.bytes, ms, dataReads: r.metrics.snapshot().zk_data_reads };
    await r.close();
    await proxy.close();
    return out;
  };

  const byIface = await measure('interface', async (r) => {
    const watches = ifaces.map((i) => r.watch(i));
    await snapshots(watches, N * K);
    for (const w of watches) w.close();
  });
  const byApp = await measure('application', async (r) => {
    // Dubbo 3's consumer path: interface → application (mapping), then watch the application.
    const apps = new Set();
    for (const i of ifaces) for (const a of await r.applications(i)) apps.add(a);
    const watches = [...apps].map((a) => r.watch(a));
    await snapshots(watches, N);
    for (const w of watches) w.close();
  });
  writer.close();
  await zk.stop();

  console.log(
    `\nreal ZooKeeper 3.8 on loopback (wrote ${fmt(ifaceRecords + appNodes.length)} nodes in ${writeMs.toFixed(0)} ms):\n`,
  );
  console.log('| a new watcher of the whole application | interface level | application level | ratio |');
  console.log('|---|---:|---:|---:|');
  console.log(
    `| bytes received from ZooKeeper (framing included) | ${fmt(byIface.bytes)} (${kib(byIface.bytes)}) | ${fmt(byApp.bytes)} (${kib(byApp.bytes)}) | ${(byIface.bytes / byApp.bytes).toFixed(1)}x |`,
  );
  console.log(`| instances in its snapshots | ${fmt(N * K)} | ${fmt(N)} | ${K.toFixed(1)}x |`);
  console.log(`| node-data reads | ${fmt(byIface.dataReads)} | ${fmt(byApp.dataReads)} | |`);
  console.log(
    `| time to complete snapshots | ${byIface.ms.toFixed(0)} ms | ${byApp.ms.toFixed(0)} ms | ${(byIface.ms / byApp.ms).toFixed(1)}x |`,
  );
} else {
  console.log('\nreal ZooKeeper part skipped (BENCH_ZK=0 or no /usr/share/java/zookeeper.jar)');
}
console.log(`\nrecords ratio (interface/application): ${(ifaceRecords / appRecords).toFixed(2)}x`);
console.log(`bytes ratio (registry payload): ${(ifaceZkBytes / appZkBytes).toFixed(2)}x`);
console.log(`bytes ratio (Strait snapshot): ${(ifaceEventBytes / appEventBytes).toFixed(2)}x`);
