// Interop with Apache Dubbo itself, both directions. A real Dubbo 3.3.4 provider (interop/zookeeper/Provider.java, built
// with Maven from Maven Central) registers into a real ZooKeeper, in register-mode=all so it writes
// both layouts, and the TypeScript backend must read exactly what Dubbo wrote. The raw tree is compared
// with the committed fixture (fixtures/dubbo-3.3.4-provider.json), which the always-on layout tests
// use; STRAIT_UPDATE_FIXTURES=1 rewrites it from the live run. The other way round, Dubbo's own
// registry lookup (interop/zookeeper/Lookup.java) must select the providers Strait registers.
//
// The build needs java, javac and mvn (and Maven Central once; cached afterwards, < 3 min cold). Without
// them these tests skip with the reason; STRAIT_REQUIRE_INTEROP=1 turns that skip into a failure (CI).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAppInstanceNode } from '../../../src/backends/zookeeper/application-layout.js';
import { ZkConnection } from '../../../src/backends/zookeeper/client.js';
import { parseZooKeeperUrl } from '../../../src/backends/zookeeper/config.js';
import { parseDubboUrl } from '../../../src/backends/zookeeper/dubbo-url.js';
import { decodeProviderNode } from '../../../src/backends/zookeeper/interface-layout.js';
import { ZooKeeperRegistry } from '../../../src/backends/zookeeper/registry.js';
import type { Instance } from '../../../src/types.js';
import { WatchCursor } from '../../contract/watch-cursor.js';
import { startZooKeeper, type ZooKeeperServer } from '../../helpers/zookeeper-server.js';
import { type DubboFixture, dumpTree, type RawNode } from './zk-tree.js';

const INTEROP_DIR = resolve(import.meta.dirname, '../../../interop/zookeeper');
const FIXTURE = resolve(import.meta.dirname, 'fixtures/dubbo-3.3.4-provider.json');
const DEMO = 'io.strait.interop.DemoService';
const GREETING = 'io.strait.interop.GreetingService';
const APP = 'demo-provider';

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The nodes a discovery client reads (Dubbo's metadata/config bookkeeping left out). */
function discoveryNodes(nodes: readonly RawNode[]): RawNode[] {
  return nodes.filter(
    (n) =>
      /^\/dubbo\/[^/]+\/providers\/.+/.test(n.path) ||
      n.path.startsWith('/dubbo/mapping/') ||
      /^\/services\/[^/]+\/.+/.test(n.path),
  );
}

/** Decodes a tree to instances with the run-specific values (port, timestamps, pid) normalized. */
function decodeNormalized(nodes: readonly RawNode[], port: number): unknown[] {
  const host = (s: string): string =>
    s.replace(/\d+\.\d+\.\d+\.\d+/g, '<host>').replaceAll(String(port), '<port>');
  const norm = (i: Instance): unknown => {
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(i.metadata)) {
      // The revision digests the exported services, ports included: compare its shape only.
      if (k === 'dubbo.metadata.revision') metadata[k] = /^[0-9a-f]{32}$/.test(v) ? '<md5>' : v;
      else metadata[k] = k === 'timestamp' || k === 'pid' ? '<t>' : host(v);
    }
    return {
      ...i,
      id: host(i.id),
      address: host(i.address),
      port: i.port === port ? '<port>' : i.port,
      metadata,
    };
  };
  const out: unknown[] = [];
  for (const n of nodes) {
    const parts = n.path.split('/');
    const name = parts[parts.length - 1] as string;
    const data = n.data === null ? undefined : Buffer.from(n.data);
    if (parts[1] === 'services') {
      const r = decodeAppInstanceNode(name, data, parts[2] as string);
      out.push(r.ok ? norm(r.value) : r.error);
    } else if (parts[3] === 'providers') {
      const r = decodeProviderNode(name, data, parts[2] as string);
      out.push(r.ok ? norm(r.value) : r.error);
    } else out.push({ mapping: n.path, data: n.data });
  }
  return out;
}

/** Runs a Java main to completion without blocking the event loop; bounded at 90 s. */
function runJava(cp: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn('java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', cp, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', rej);
    child.once('exit', () => {
      clearTimeout(timer);
      res({ stdout, stderr });
    });
  });
}

let classpath: string | undefined;
let skipReason = '';

function build(): void {
  const r = spawnSync('bash', [resolve(INTEROP_DIR, 'build.sh')], { encoding: 'utf8', timeout: 180_000 });
  const out = (r.stdout ?? '').trim();
  if (r.status === 0 && out !== '') {
    classpath = out
      .split(':')
      .map((p) => (p.startsWith('/') ? p : resolve(INTEROP_DIR, p)))
      .join(':');
  } else {
    skipReason = `Dubbo interop build unavailable: ${out || r.error?.message || `exit ${r.status}`}`;
    if (process.env['STRAIT_REQUIRE_INTEROP'] === '1') throw new Error(skipReason);
    console.warn(`[interop] skipping: ${skipReason}`);
  }
}

describe('interop: a real Dubbo 3.3.4 provider registering into ZooKeeper', () => {
  let zk: ZooKeeperServer;
  let provider: ChildProcess | undefined;
  let providerLog = '';
  let dubboPort = 0;
  const opened: ZooKeeperRegistry[] = [];
  const open = async (layout: 'interface' | 'application'): Promise<ZooKeeperRegistry> => {
    const r = await ZooKeeperRegistry.connect(
      parseZooKeeperUrl(new URL(`zookeeper://${zk.connectString}?layout=${layout}&sessionTimeoutMs=4000`)),
    );
    opened.push(r);
    return r;
  };

  beforeAll(async () => {
    build();
    if (!classpath) return;
    zk = await startZooKeeper();
    dubboPort = await freePort();
    provider = spawn(
      'java',
      [
        '-Xmx256m',
        '-XX:TieredStopAtLevel=1',
        '-cp',
        classpath,
        'io.strait.interop.Provider',
        zk.connectString,
        APP,
        String(dubboPort),
      ],
      {
        // Dubbo refuses loopback hosts (NetUtils.isInvalidLocalHost) and registers the machine's first
        // interface address; the tests read that address from the data and never connect to it.
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    provider.stderr?.on('data', (b: Buffer) => {
      providerLog = (providerLog + b.toString()).slice(-20_000);
    });
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`Dubbo provider not READY in 90 s\n${providerLog}`)),
        90_000,
      );
      provider?.stdout?.on('data', (b: Buffer) => {
        if (b.toString().includes('READY')) {
          clearTimeout(timer);
          res();
        }
      });
      provider?.once('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`Dubbo provider exited ${code}\n${providerLog}`));
      });
    });
  }, 300_000);

  afterAll(async () => {
    for (const r of opened) await r.close();
    if (provider && provider.exitCode === null) provider.kill('SIGKILL');
    await zk?.stop();
  });

  it('matches the committed fixture (regenerated from this run with STRAIT_UPDATE_FIXTURES=1)', async (ctx) => {
    if (!classpath) return ctx.skip(skipReason);
    const conn = await ZkConnection.open({
      connectString: zk.connectString,
      sessionTimeoutMs: 4000,
      connectTimeoutMs: 10_000,
      opTimeoutMs: 10_000,
    });
    try {
      const live = discoveryNodes([
        ...(await dumpTree(conn, '/dubbo')),
        ...(await dumpTree(conn, '/services')),
      ]);
      if (process.env['STRAIT_UPDATE_FIXTURES'] === '1') {
        const fixture: DubboFixture = {
          generatedBy: 'Apache Dubbo 3.3.4, interop/zookeeper/Provider.java, register-mode=all',
          dubboPort,
          nodes: live,
        };
        writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 2)}\n`);
      }
      const committed = JSON.parse(readFileSync(FIXTURE, 'utf8')) as DubboFixture;
      expect(decodeNormalized(live, dubboPort)).toEqual(
        decodeNormalized(committed.nodes, committed.dubboPort),
      );
      expect(live.map((n) => n.ephemeral)).toEqual(committed.nodes.map((n) => n.ephemeral));
    } finally {
      conn.close();
    }
  });

  it('reads the interface-level providers Dubbo registered', async (ctx) => {
    if (!classpath) return ctx.skip(skipReason);
    const r = await open('interface');
    const [demo] = await r.list(DEMO);
    const address = demo?.address ?? '';
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(demo).toMatchObject({
      id: `${address}:${dubboPort};group=g1;version=1.0.0`,
      service: DEMO,
      port: dubboPort,
      protocol: 'dubbo',
      weight: 200,
      health: 'healthy',
      labels: { group: 'g1', version: '1.0.0' },
      application: APP,
      interfaces: [DEMO],
    });
    expect(demo?.metadata).toMatchObject({
      methods: 'sayBye,sayHello',
      side: 'provider',
      release: '3.3.4',
      interface: DEMO,
    });
    expect(demo?.metadata['timestamp']).toMatch(/^\d{13}$/);
    const [greeting] = await r.list(GREETING);
    expect(greeting).toMatchObject({
      id: `${address}:${dubboPort}`,
      weight: 100,
      labels: {},
      application: APP,
    });
    expect(await r.services()).toEqual([DEMO, GREETING]);
  });

  it('reads the application-level instance and the interface → application mapping', async (ctx) => {
    if (!classpath) return ctx.skip(skipReason);
    const r = await open('application');
    const [inst] = await r.list(APP);
    const address = inst?.address ?? '';
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(inst).toMatchObject({
      id: `${address}:${dubboPort}`,
      service: APP,
      port: dubboPort,
      protocol: 'dubbo',
      application: APP,
    });
    expect(inst?.metadata['dubbo.metadata.revision']).toMatch(/^[0-9a-f]{32}$/);
    expect(inst?.interfaces).toEqual([DEMO, GREETING]); // from Dubbo's /dubbo/mapping entries
    expect(JSON.parse(inst?.metadata['dubbo.endpoints'] ?? '[]')).toEqual([
      { port: dubboPort, protocol: 'dubbo' },
    ]);
    expect(await r.applications(DEMO)).toEqual([APP]);
    expect(await r.applications(GREETING)).toEqual([APP]);
    expect(await r.services()).toEqual([APP]);
  });

  it("Dubbo's own registry lookup selects Strait-registered providers by group, version and enabled", async (ctx) => {
    if (!classpath) return ctx.skip(skipReason);
    const r = await open('interface');
    const svc = 'com.strait.interop.Orders';
    const base = { service: svc, port: 20880, protocol: 'dubbo' as const, application: 'orders' };
    await r.register({
      ...base,
      address: '10.7.0.1',
      weight: 40,
      labels: { version: '1.0.0', group: 'g1' },
      metadata: { methods: 'get,put' },
    });
    await r.register({ ...base, address: '10.7.0.2', labels: { version: '2.0.0', group: 'g1' } });
    await r.register({
      ...base,
      address: '10.7.0.3',
      health: 'unhealthy',
      labels: { version: '1.0.0', group: 'g1' },
    });
    // Asynchronously: a blocked event loop would starve our session's pings and expire the very
    // registrations Dubbo is asked to find.
    const out = await runJava(classpath, ['io.strait.interop.Lookup', zk.connectString, svc, 'g1', '1.0.0']);
    const lines = out.stdout.trim().split('\n');
    expect(lines.at(-1), out.stderr.slice(-4000)).toBe('DONE');
    const urls = lines.slice(0, -1).map((l) => parseDubboUrl(l));
    expect(urls, out.stderr.slice(-4000)).toHaveLength(1);
    const [u] = urls;
    expect(u?.ok && u.value).toMatchObject({
      protocol: 'dubbo',
      host: '10.7.0.1',
      port: 20880,
      path: svc,
      params: {
        interface: svc,
        application: 'orders',
        group: 'g1',
        version: '1.0.0',
        weight: '40',
        methods: 'get,put',
        side: 'provider',
      },
    });
  });

  it('sees the provider go away when Dubbo shuts down (interface and application watches)', async (ctx) => {
    if (!classpath || !provider) return ctx.skip(skipReason);
    const byIface = new WatchCursor((await open('interface')).watch(DEMO));
    const byApp = new WatchCursor((await open('application')).watch(APP));
    await byIface.until((c) => c.state.size === 1, 10_000, 'Dubbo provider in interface snapshot');
    await byApp.until((c) => c.state.size === 1, 10_000, 'Dubbo instance in application snapshot');
    const exited = new Promise((res) => provider?.once('exit', res));
    provider.stdin?.end(); // Provider.java unexports and exits when stdin closes
    await exited;
    await byIface.until((c) => c.state.size === 0, 15_000, 'provider removed');
    await byApp.until((c) => c.state.size === 0, 15_000, 'instance removed');
    expect(byIface.events.some((e) => e.type === 'delta' && e.removed.length === 1)).toBe(true);
    byIface.watch.close();
    byApp.watch.close();
  });
});
