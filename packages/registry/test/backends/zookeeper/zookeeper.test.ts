// ZooKeeper-specific behavior against a real server: reading what Dubbo wrote (the committed fixture),
// the exact node layout Strait writes, session expiry and server restarts, and the bounds.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkConnection } from '../../../src/backends/zookeeper/client.js';
import { parseZooKeeperUrl } from '../../../src/backends/zookeeper/config.js';
import { decodeNodeName, parseDubboUrl } from '../../../src/backends/zookeeper/dubbo-url.js';
import { createZooKeeperRegistry, setup } from '../../../src/backends/zookeeper/index.js';
import { ZooKeeperRegistry } from '../../../src/backends/zookeeper/registry.js';
import { isRegistryError } from '../../../src/errors.js';
import { openRegistry, registeredSchemes } from '../../../src/url.js';
import { WatchCursor } from '../../contract/watch-cursor.js';
import { startZooKeeper, type ZooKeeperServer } from '../../helpers/zookeeper-server.js';
import { startTcpProxy } from './tcp-proxy.js';
import { type DubboFixture, dumpTree, loadTree } from './zk-tree.js';

const fixture = JSON.parse(
  readFileSync(resolve(import.meta.dirname, 'fixtures/dubbo-3.3.4-provider.json'), 'utf8'),
) as DubboFixture;
const DEMO = 'io.strait.interop.DemoService';
const GREETING = 'io.strait.interop.GreetingService';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let zk: ZooKeeperServer;
const opened: ZooKeeperRegistry[] = [];
const conns: ZkConnection[] = [];

async function open(query = '', path = ''): Promise<ZooKeeperRegistry> {
  const params = new URLSearchParams(query);
  if (!params.has('sessionTimeoutMs')) params.set('sessionTimeoutMs', '2000');
  const r = await ZooKeeperRegistry.connect(
    parseZooKeeperUrl(new URL(`zookeeper://${zk.connectString}${path}?${params}`)),
  );
  opened.push(r);
  return r;
}

async function raw(): Promise<ZkConnection> {
  const c = await ZkConnection.open({
    connectString: zk.connectString,
    sessionTimeoutMs: 4000,
    connectTimeoutMs: 10_000,
    opTimeoutMs: 10_000,
  });
  conns.push(c);
  return c;
}

beforeAll(async () => {
  zk = await startZooKeeper();
});

afterAll(async () => {
  for (const r of opened) await r.close();
  for (const c of conns) c.close();
  await zk?.stop();
});

describe('reading nodes Dubbo 3.3.4 wrote (committed fixture, loaded into a real ZooKeeper)', () => {
  beforeAll(async () => {
    await loadTree(await raw(), fixture.nodes);
  });

  it('lists interface-level providers with Dubbo fields mapped', async () => {
    const r = await open();
    const [demo] = await r.list(DEMO);
    expect(demo).toMatchObject({
      service: DEMO,
      port: fixture.dubboPort,
      protocol: 'dubbo',
      weight: 200,
      labels: { group: 'g1', version: '1.0.0' },
      application: 'demo-provider',
      interfaces: [DEMO],
    });
    expect(demo?.metadata['methods']).toBe('sayBye,sayHello');
    expect(await r.list(GREETING)).toHaveLength(1);
    // Dubbo-written children decode from their names alone: no per-node data round trip.
    expect(r.metrics.snapshot()['zk_data_reads']).toBe(0);
    // `mapping` (and Dubbo's `metadata`, `config`) are bookkeeping, not interfaces.
    expect(await r.services()).toEqual([DEMO, GREETING]);
  });

  it('lists the application-level instance and resolves the interface → application mapping', async () => {
    const r = await open('layout=application');
    const [inst] = await r.list('demo-provider');
    expect(inst).toMatchObject({ service: 'demo-provider', port: fixture.dubboPort, protocol: 'dubbo' });
    expect(inst?.id).toBe(`${inst?.address}:${fixture.dubboPort}`);
    expect(inst?.metadata['dubbo.metadata.storage-type']).toBe('local');
    // Dubbo's instance record lists no interfaces; the mapping says which ones the application serves.
    expect(inst?.interfaces).toEqual([DEMO, GREETING]);
    expect(await r.applications(DEMO)).toEqual(['demo-provider']);
    expect(await r.applications('no.such.Service')).toEqual([]);
  });

  it('turns a mapping change into an updated delta for watchers of the application', async () => {
    const r = await open('layout=application');
    const c = new WatchCursor(r.watch('demo-provider'));
    await c.until((x) => x.state.size === 1, 10_000, 'snapshot');
    const id = [...c.state.keys()][0] as string;
    expect(c.state.get(id)?.interfaces).toEqual([DEMO, GREETING]);
    // What a Dubbo 3 provider does when it starts exporting one more interface.
    const w = await raw();
    await w.create(
      '/dubbo/mapping/io.strait.interop.NewService',
      Buffer.from('other-app,demo-provider'),
      'persistent',
    );
    await c.until((x) => x.state.get(id)?.interfaces.length === 3, 10_000, 'interfaces updated');
    expect(c.events.at(-1)).toMatchObject({ type: 'delta', added: [], removed: [] });
    expect(await r.applications('io.strait.interop.NewService')).toEqual(['demo-provider', 'other-app']);
    expect(r.metrics.snapshot()['zk_mapping_entries']).toBe(3);
    await w.remove('/dubbo/mapping/io.strait.interop.NewService');
    await c.until((x) => x.state.get(id)?.interfaces.length === 2, 10_000, 'interfaces back');
    c.watch.close();
  });

  it('watches Dubbo-written and Strait-written providers of one interface side by side', async () => {
    const r = await open();
    const c = new WatchCursor(r.watch(DEMO));
    await c.until((x) => x.state.size === 1, 10_000, 'the Dubbo provider');
    await r.register({
      service: DEMO,
      address: '10.9.9.9',
      port: 20880,
      protocol: 'dubbo',
      labels: { version: '1.0.0', group: 'g1' },
    });
    await c.until((x) => x.state.size === 2, 10_000, 'Dubbo + Strait providers');
    await r.deregister(DEMO, '10.9.9.9:20880');
    await c.until((x) => x.state.size === 1, 10_000, 'back to the Dubbo provider');
    c.watch.close();
  });
});

describe('what Strait writes', () => {
  it('interface layout: an ephemeral /<group>/<interface>/providers/<encoded dubbo URL> under the chroot', async () => {
    const r = await open('group=dubbo', '/tenant-a');
    await r.register({
      service: 'com.foo.Svc',
      address: '10.1.1.1',
      port: 20880,
      protocol: 'dubbo',
      application: 'shop',
      labels: { version: '1.0.0' },
    });
    const nodes = await dumpTree(await raw(), '/tenant-a');
    const leaf = nodes.find((n) => n.path.startsWith('/tenant-a/dubbo/com.foo.Svc/providers/'));
    expect(leaf?.ephemeral).toBe(true);
    const url = parseDubboUrl(decodeNodeName(leaf?.path.split('/').pop() ?? '') ?? '');
    expect(url.ok && url.value.params).toMatchObject({
      interface: 'com.foo.Svc',
      application: 'shop',
      version: '1.0.0',
      side: 'provider',
    });
  });

  it('application layout: /services/<app>/<host:port> as Curator ServiceInstance JSON, plus the mapping', async () => {
    const r = await open('layout=application', '/tenant-b');
    await r.register({
      service: 'shop',
      address: '10.1.1.2',
      port: 20880,
      protocol: 'dubbo',
      interfaces: ['com.foo.A', 'com.foo.B'],
    });
    const other = await open('layout=application', '/tenant-b');
    await other.register({
      service: 'cart',
      address: '10.1.1.3',
      port: 20880,
      protocol: 'dubbo',
      interfaces: ['com.foo.A'],
    });
    const c = await raw();
    const inst = await c.getData('/tenant-b/services/shop/10.1.1.2:20880');
    expect(inst?.stat.ephemeralOwner).not.toBe('0000000000000000');
    const json = JSON.parse(inst?.data?.toString() ?? '{}');
    expect(json).toMatchObject({
      name: 'shop',
      id: '10.1.1.2:20880',
      address: '10.1.1.2',
      port: 20880,
      serviceType: 'DYNAMIC',
      payload: { '@class': 'org.apache.dubbo.registry.zookeeper.ZookeeperInstance', name: 'shop' },
    });
    expect(JSON.parse(json.payload.metadata['dubbo.endpoints'])).toEqual([
      { port: 20880, protocol: 'dubbo' },
    ]);
    expect(json.payload.metadata['dubbo.metadata.revision']).toMatch(/^[0-9a-f]{32}$/);
    expect((await c.getData('/tenant-b/dubbo/mapping/com.foo.A'))?.data?.toString()).toBe('shop,cart');
    expect(await r.applications('com.foo.B')).toEqual(['shop']);
  });
});

describe('sessions and servers', () => {
  it('after the server expires the session: re-registers, and watchers get a session-lost resync', async () => {
    // Partition the client (through a proxy) past its session timeout: the server expires the session
    // and deletes its ephemerals; on reconnect the client learns it is expired and must start over.
    const proxy = await startTcpProxy(zk.port);
    const r = await ZooKeeperRegistry.connect(
      parseZooKeeperUrl(new URL(`zookeeper://127.0.0.1:${proxy.port}?sessionTimeoutMs=1000`)),
    );
    opened.push(r);
    const observer = await open();
    const service = 'com.foo.Expiring';
    await r.register({ service, address: '10.2.0.1', port: 20880 });
    const own = new WatchCursor(r.watch(service));
    const theirs = new WatchCursor(observer.watch(service));
    await own.until((x) => x.state.size === 1, 10_000, 'snapshot');
    await theirs.until((x) => x.state.size === 1, 10_000, 'observer snapshot');
    const before = r.connection.sessionId;
    proxy.block();
    await theirs.until((x) => x.state.size === 0, 10_000, 'server expired the session and its ephemeral');
    proxy.unblock();
    await own.until((x) => x.events.some((e) => e.type === 'resync'), 15_000, 'resync');
    const resync = own.events.find((e) => e.type === 'resync');
    expect(resync).toMatchObject({ type: 'resync', reason: 'session-lost' });
    await own.until((x) => x.state.size === 1, 10_000, 'instance back after resync');
    expect(r.connection.sessionId).not.toBe(before);
    // At least one expiry (a starved CI box may add its own); each one re-created our one registration.
    const m = r.metrics.snapshot();
    expect(m['zk_session_expirations']).toBeGreaterThanOrEqual(1);
    expect(m['zk_reregistrations']).toBe(m['zk_session_expirations']);
    expect(m['lease_expirations']).toBe(m['zk_session_expirations']);
    expect(m['zk_registrations_held']).toBe(1);
    // Another client sees it again once the new session re-registered it.
    await theirs.until((x) => x.state.has('10.2.0.1:20880'), 10_000, 'observer sees it restored');
    expect((await observer.list(service)).map((i) => i.id)).toEqual(['10.2.0.1:20880']);
    own.watch.close();
    theirs.watch.close();
    await proxy.close();
  });

  it('survives a server restart within the session timeout: same session, no resync, watches keep working', async () => {
    // The JVM takes a few seconds to come back: give calls room to wait for the reconnect.
    const r = await open('sessionTimeoutMs=45000&opTimeoutMs=60000');
    const service = 'com.foo.Restart';
    await r.register({ service, address: '10.3.0.1', port: 20880 });
    const c = new WatchCursor(r.watch(service));
    await c.until((x) => x.state.size === 1, 10_000, 'snapshot');
    const session = r.connection.sessionId;
    await zk.restart();
    await r.register({ service, address: '10.3.0.2', port: 20880 });
    await c.until((x) => x.state.size === 2, 60_000, 'change after restart');
    expect(r.connection.sessionId).toBe(session);
    expect(c.events.some((e) => e.type === 'resync')).toBe(false);
  }, 120_000);

  it('resets a reconnect attempt the server never answers, then reconnects within the same session', async () => {
    const proxy = await startTcpProxy(zk.port);
    // Session 6 s → watchdog every 2 s; the stall lasts ~3 s, well inside the session.
    const r = await ZooKeeperRegistry.connect(
      parseZooKeeperUrl(
        new URL(`zookeeper://127.0.0.1:${proxy.port}?sessionTimeoutMs=6000&opTimeoutMs=20000`),
      ),
    );
    opened.push(r);
    await r.register({ service: 'com.foo.Stall', address: '10.6.0.1', port: 1 });
    const session = r.connection.sessionId;
    proxy.stall();
    const deadline = Date.now() + 10_000;
    while ((r.metrics.snapshot()['zk_connect_stalls'] ?? 0) < 1 && Date.now() < deadline) await sleep(100);
    expect(r.metrics.snapshot()['zk_connect_stalls']).toBeGreaterThanOrEqual(1);
    proxy.unblock();
    expect((await r.list('com.foo.Stall')).map((i) => i.id)).toEqual(['10.6.0.1:1']);
    expect(r.connection.sessionId).toBe(session);
    await proxy.close();
  });

  it('fails fast with REG_ERR_UNAVAILABLE when nothing listens', async () => {
    const err = await createZooKeeperRegistry(new URL('zookeeper://127.0.0.1:1?connectTimeoutMs=300')).catch(
      (e: unknown) => e,
    );
    expect(isRegistryError(err, 'REG_ERR_UNAVAILABLE')).toBe(true);
  });
});

describe('robustness and bounds', () => {
  it('skips undecodable children (counted) and keeps serving the good ones', async () => {
    const c = await raw();
    await c.mkdirp('/dubbo/com.foo.Mixed/providers');
    await c.create('/dubbo/com.foo.Mixed/providers/garbage', Buffer.from('x'), 'ephemeral');
    const r = await open();
    await r.register({ service: 'com.foo.Mixed', address: '10.4.0.1', port: 1 });
    expect((await r.list('com.foo.Mixed')).map((i) => i.id)).toEqual(['10.4.0.1:1']);
    expect(r.metrics.snapshot()['zk_decode_errors']).toBeGreaterThan(0);
  });

  it('refuses watches beyond maxWatchedServices with a coded error', async () => {
    const r = await open('maxWatchedServices=1');
    const a = new WatchCursor(r.watch('com.foo.One'));
    const b = new WatchCursor(r.watch('com.foo.Two'));
    await b.until((x) => x.ended, 5000, 'refused watch ends');
    expect(isRegistryError(b.failure, 'REG_ERR_UNAVAILABLE')).toBe(true);
    expect(r.metrics.snapshot()).toMatchObject({ zk_watch_rejections: 1, zk_watched_services: 1 });
    a.watch.close();
    expect(r.metrics.snapshot()['zk_watched_services']).toBe(0);
  });

  it.each([
    ['zookeeper://h:2181?layout=flat', 'layout=flat'],
    ['zookeeper://h:2181?sessionTimeoutMs=5', 'sessionTimeoutMs=5'],
    ['zookeeper://h:2181?typo=1', 'unknown parameter "typo"'],
    ['zookeeper://h:2181?backup=h2', 'backup entry "h2"'],
    ['zookeeper://h:2181/bad path', 'chroot segment'],
    ['etcd://h:2379', 'scheme must be zookeeper:'],
  ])('rejects %s (REG_ERR_INVALID_URL naming %s)', (text, needle) => {
    let err: unknown;
    try {
      parseZooKeeperUrl(new URL(text));
    } catch (e) {
      err = e;
    }
    expect(isRegistryError(err, 'REG_ERR_INVALID_URL')).toBe(true);
    expect((err as Error).message).toContain(needle);
  });

  it('parses ensembles, chroot, group and defaults', () => {
    expect(
      parseZooKeeperUrl(new URL('zookeeper://a:1/x/y?backup=b:2,c:3&group=dubbo2&layout=application')),
    ).toEqual({
      connectString: 'a:1,b:2,c:3',
      chroot: '/x/y',
      layout: 'application',
      group: 'dubbo2',
      sessionTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      opTimeoutMs: 10_000,
      maxWatchedServices: 4096,
      maxMappings: 100_000,
    });
    expect(parseZooKeeperUrl(new URL('zookeeper://a')).connectString).toBe('a:2181');
  });
});

describe('URL factory wiring', () => {
  it('opens zookeeper:// URLs through openRegistry after setup(), multi-host authorities included', async () => {
    setup();
    expect(registeredSchemes()).toContain('zookeeper');
    const r = await openRegistry(`zookeeper://${zk.connectString},127.0.0.1:1/wired?layout=application`);
    opened.push(r as ZooKeeperRegistry);
    expect(r).toBeInstanceOf(ZooKeeperRegistry);
    expect((r as ZooKeeperRegistry).options).toMatchObject({
      connectString: `${zk.connectString},127.0.0.1:1`,
      chroot: '/wired',
      layout: 'application',
    });
    await r.register({ service: 'wired-app', address: '10.5.0.1', port: 20880 });
    expect((await r.list('wired-app')).map((i) => i.id)).toEqual(['10.5.0.1:20880']);
  });
});
