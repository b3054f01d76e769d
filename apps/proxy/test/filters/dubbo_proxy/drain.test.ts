// Lossless Dubbo: the proxy's drain sends READONLY downstream while in-flight calls finish, and a
// provider's READONLY (graceful shutdown) moves new calls elsewhere without failing any.

import { encodeRequest, Status } from '@strait/dubbo/codec';
import { DubboConnection, DubboConsumer } from '@strait/dubbo/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../../src/proxy.js';
import {
  DEMO,
  demoProvider,
  dubboBootstrap,
  dubboCluster,
  stat,
  type TestProvider,
} from '../../helpers/dubbo.js';
import { adminGet, startProxy } from '../../helpers/harness.js';

const ALL_TO = (cluster: string) => `
- name: demo
  interface: "*"
  routes:
    - match: { method: { name: { safe_regex: { regex: ".*" } } } }
      route: { cluster: ${cluster} }
`;

const slowCall = (ms: number) => ({
  service: DEMO,
  version: '1.0.0',
  method: 'slow',
  parameterTypes: ['int'],
  args: [ms],
});

describe('dubbo_proxy drain: POST /drain_listeners?graceful', () => {
  let p1: TestProvider;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    p1 = await demoProvider('p1');
    proxy = await startProxy(dubboBootstrap(ALL_TO('svc'), dubboCluster('svc', [p1.port])), {
      drainTimeMs: 3000,
    });
    port = proxy.listenerPort('dubbo')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    await p1.provider.close({ drainTimeoutMs: 200 });
  });

  it('sends READONLY on every downstream connection; in-flight calls all succeed; connections close when idle', async () => {
    const conn = await DubboConnection.connect({ host: '127.0.0.1', port });
    const idle = await DubboConnection.connect({ host: '127.0.0.1', port });
    const sawReadonly = new Promise<void>((r) => conn.once('readonly', () => r()));
    const idleClosed = new Promise<void>((r) => idle.once('close', () => r()));
    const n = 50;
    const calls = Array.from({ length: n }, (_, i) =>
      conn.request(
        (id) =>
          encodeRequest({
            id,
            service: DEMO,
            version: '1.0.0',
            method: 'slow',
            parameterTypes: 'I',
            args: [300 + i],
            attachments: { path: DEMO, version: '1.0.0' },
          }),
        5000,
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    expect((await adminGet(proxy, '/drain_listeners?graceful', 'POST')).status).toBe(200);
    await sawReadonly;
    const results = await Promise.all(calls);
    // Zero failed calls: every in-flight call was answered after READONLY.
    expect(results.filter((r) => r?.status !== Status.OK)).toEqual([]);
    // The SDK closes a read-only connection once its calls are answered; the idle one is closed by the
    // proxy (nothing in flight, quiet) well before the 3 s drain window.
    await idleClosed;
    await new Promise<void>((r) => (conn.closed ? r() : conn.once('close', () => r())));
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(await stat(proxy, 'dubbo.outbound_dubbo.downstream_cx_readonly_sent')).toBe(2);
    expect(await stat(proxy, 'dubbo.outbound_dubbo.cx_destroy_local_with_active_rq')).toBe(0);
  });
});

describe('dubbo_proxy: a provider READONLY (graceful shutdown) loses no call', () => {
  let a: TestProvider;
  let b: TestProvider;
  let proxy: StraitProxy;
  let consumer: DubboConsumer;

  beforeAll(async () => {
    a = await demoProvider('a');
    b = await demoProvider('b');
    proxy = await startProxy(dubboBootstrap(ALL_TO('svc'), dubboCluster('svc', [a.port, b.port])));
    consumer = new DubboConsumer({
      providers: [{ host: '127.0.0.1', port: proxy.listenerPort('dubbo')! }],
      timeoutMs: 5000,
    });
  });

  afterAll(async () => {
    consumer.close();
    await proxy.shutdown();
    await b.provider.close({ drainTimeoutMs: 200 });
  });

  it('stops new calls on the read-only upstream connection, finishes in-flight ones, routes on', async () => {
    // Warm both upstream connections.
    await Promise.all(Array.from({ length: 4 }, () => consumer.invoke(slowCall(1))));
    let failures = 0;
    const errors = new Set<string>();
    let ok = 0;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        try {
          await consumer.invoke(slowCall(20));
          ok++;
        } catch (err) {
          failures++;
          errors.add((err as Error).message);
        }
      }
    };
    const loops = Array.from({ length: 8 }, () => loop());
    await new Promise((r) => setTimeout(r, 200));
    const hitsA = a.hits;
    // Graceful close: READONLY on its connections, in-flight calls finish, then the port closes.
    await a.provider.close({ drainTimeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    expect([...errors]).toEqual([]);
    expect(failures).toBe(0);
    expect(ok).toBeGreaterThan(20);
    expect(hitsA).toBeGreaterThan(0);
    expect(await stat(proxy, 'dubbo.outbound_dubbo.upstream_readonly')).toBeGreaterThanOrEqual(1);
  });
});

describe('dubbo_proxy on SIGTERM (drainAndShutdown)', () => {
  it('sends READONLY, answers every in-flight call, and shuts down once connections are gone', async () => {
    const p = await demoProvider('p');
    const proxy = await startProxy(dubboBootstrap(ALL_TO('svc'), dubboCluster('svc', [p.port])), {
      drainTimeMs: 5000,
    });
    const consumer = new DubboConsumer({
      providers: [{ host: '127.0.0.1', port: proxy.listenerPort('dubbo')! }],
      timeoutMs: 5000,
    });
    try {
      await consumer.invoke(slowCall(1));
      const inflight = Array.from({ length: 20 }, (_, i) => consumer.invoke(slowCall(200 + i * 5)));
      await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      const done = proxy.drainAndShutdown();
      const results = await Promise.all(inflight);
      expect(results).toHaveLength(20);
      await done;
      // Well before the 5 s window: the consumer closed its read-only connection once answered.
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      consumer.close();
      await proxy.shutdown();
      await p.provider.close({ drainTimeoutMs: 200 });
    }
  });
});
