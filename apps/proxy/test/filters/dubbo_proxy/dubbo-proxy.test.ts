// dubbo_proxy over real sockets: SDK providers (v1, v2) behind the proxy, an SDK consumer in front.
import net from 'node:net';
import { DubboRemoteError, DubboServiceExceptionError, Status } from '@strait/dubbo';
import { encodeRequest } from '@strait/dubbo/codec';
import { DubboConnection, DubboConsumer } from '@strait/dubbo/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dubboTuning } from '../../../src/filters/dubbo_proxy/filter.js';
import type { StraitProxy } from '../../../src/proxy.js';
import {
  DEMO,
  demoProvider,
  dubboBootstrap,
  dubboCluster,
  stat,
  type TestProvider,
  until,
} from '../../helpers/dubbo.js';
import { adminGet, startProxy } from '../../helpers/harness.js';

const ROUTES = `
- name: demo
  interface: ${DEMO}
  routes:
    - match: { method: { name: { exact: sayHello } }, headers: [{ name: x-canary, exact_match: "true" }] }
      route: { cluster: v2 }
    - match: { method: { name: { exact: sayHello }, params_match: { 0: { exact_match: weighted } } } }
      route: { weighted_clusters: { clusters: [{ name: v1, weight: 25 }, { name: v2, weight: 75 }] } }
    - match: { method: { name: { exact: getUser }, params_match: { 0: { range_match: { start: 1000, end: 2000 } } } } }
      route: { cluster: v2 }
    - match: { method: { name: { exact: getUser }, params_match: { 0: { exact_match: "7" } } } }
      route: { cluster: v2 }
    - match: { method: { name: { exact: slowRoute } } }
      route: { cluster: v1, metadata_match: { filter_metadata: { strait.dubbo: { timeout: 150ms } } } }
    - match: { method: { name: { prefix: gone } } }
      route: { cluster: missing }
    - match: { method: { name: { safe_regex: { regex: ".*" } } } }
      route: { cluster: v1 }
`;

function call(method: string, args: unknown[], extra: Record<string, unknown> = {}) {
  const types: Record<string, string[]> = {
    sayHello: ['java.lang.String'],
    getUser: ['int'],
    slow: ['int'],
    slowRoute: ['int'],
    fail: [],
    notify: ['java.lang.String'],
    goneMethod: [],
  };
  return { service: DEMO, version: '1.0.0', method, parameterTypes: types[method] ?? [], args, ...extra };
}

describe('dubbo_proxy: routing, multiplexing, heartbeats, timeouts, hostile input', () => {
  let v1: TestProvider;
  let v2: TestProvider;
  let proxy: StraitProxy;
  let port: number;
  let consumer: DubboConsumer;

  beforeAll(async () => {
    dubboTuning.heartbeatIntervalMs = 150;
    v1 = await demoProvider('v1', {
      slowRoute: async ([ms]) => {
        await new Promise((r) => setTimeout(r, Number(ms)));
        return 'late';
      },
    });
    v2 = await demoProvider('v2');
    proxy = await startProxy(
      dubboBootstrap(ROUTES, dubboCluster('v1', [v1.port]) + dubboCluster('v2', [v2.port])),
    );
    port = proxy.listenerPort('dubbo')!;
    consumer = new DubboConsumer({ providers: [{ host: '127.0.0.1', port }], timeoutMs: 3000 });
  });

  afterAll(async () => {
    consumer.close();
    await proxy.shutdown();
    await Promise.all([
      v1.provider.close({ drainTimeoutMs: 200 }),
      v2.provider.close({ drainTimeoutMs: 200 }),
    ]);
    dubboTuning.heartbeatIntervalMs = 60_000;
  });

  it('routes by method and by attachment (header match)', async () => {
    expect(await consumer.invoke(call('sayHello', ['a']))).toBe('v1: hello a');
    expect(await consumer.invoke(call('sayHello', ['a'], { attachments: { 'x-canary': 'true' } }))).toBe(
      'v2: hello a',
    );
    expect(await consumer.invoke(call('sayHello', ['a'], { attachments: { 'x-canary': 'no' } }))).toBe(
      'v1: hello a',
    );
    // Attachment keys are case-sensitive Java map keys; header matcher names are lower-cased.
    expect(await consumer.invoke(call('sayHello', ['a'], { attachments: { 'X-Canary': 'true' } }))).toBe(
      'v2: hello a',
    );
  });

  it('routes by argument value: exact and range (end exclusive), decoding arguments only then', async () => {
    const decodedBefore = await stat(proxy, 'dubbo.outbound_dubbo.params_decoded');
    expect(await consumer.invoke(call('getUser', [7]))).toBe('v2: user 7');
    expect(await consumer.invoke(call('getUser', [1500]))).toBe('v2: user 1500');
    expect(await consumer.invoke(call('getUser', [1000]))).toBe('v2: user 1000');
    expect(await consumer.invoke(call('getUser', [2000]))).toBe('v1: user 2000');
    expect(await consumer.invoke(call('getUser', [3]))).toBe('v1: user 3');
    // Five getUser calls decode once each (both params routes share it); sayHello with a header match
    // above never reached a params route.
    expect((await stat(proxy, 'dubbo.outbound_dubbo.params_decoded')) - decodedBefore).toBe(5);
  });

  it('splits weighted clusters by weight', async () => {
    const before = { v1: v1.hits, v2: v2.hits };
    const n = 400;
    await Promise.all(Array.from({ length: n }, () => consumer.invoke(call('sayHello', ['weighted']))));
    const toV2 = v2.hits - before.v2;
    expect(v1.hits - before.v1 + toV2).toBe(n);
    expect(toV2 / n).toBeGreaterThan(0.65);
    expect(toV2 / n).toBeLessThan(0.85);
  });

  it('multiplexes many concurrent calls over one downstream and one upstream connection', async () => {
    const upBefore = await stat(proxy, 'cluster.v1.upstream_cx_total');
    const conn = await DubboConnection.connect({ host: '127.0.0.1', port });
    const n = 500;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        conn.request(
          (id) =>
            encodeRequest({
              id,
              service: DEMO,
              version: '1.0.0',
              method: 'sayHello',
              parameterTypes: 'Ljava/lang/String;',
              args: [`n${i}`],
              attachments: { path: DEMO, version: '1.0.0' },
            }),
          5000,
        ),
      ),
    );
    results.forEach((r, i) => {
      expect(r?.status).toBe(Status.OK);
      expect(r?.value).toBe(`v1: hello n${i}`);
    });
    conn.close();
    // The upstream connection opened by earlier tests carried all of them.
    expect(await stat(proxy, 'cluster.v1.upstream_cx_total')).toBe(Math.max(upBefore, 1));
  });

  it('answers heartbeats locally on both sides and keeps idle connections alive', async () => {
    const before = await stat(proxy, 'dubbo.outbound_dubbo.heartbeat_downstream');
    const destroyedBefore = await stat(proxy, 'cluster.v1.upstream_cx_destroy');
    const conn = await DubboConnection.connect({ host: '127.0.0.1', port }, { heartbeatIntervalMs: 150 });
    // Three silent intervals would close it: heartbeats are answered by the proxy.
    await new Promise((r) => setTimeout(r, 1000));
    expect(conn.closed).toBe(false);
    expect(await stat(proxy, 'dubbo.outbound_dubbo.heartbeat_downstream')).toBeGreaterThan(before);
    // Upstream: the proxy heartbeats its idle provider connection (150 ms here) and the provider answers;
    // an unanswered heartbeat would close the connection after two more periods.
    expect(await stat(proxy, 'cluster.v1.upstream_cx_destroy')).toBe(destroyedBefore);
    conn.close();
  });

  it('answers SERVER_TIMEOUT at the call timeout attachment and at the route timeout', async () => {
    const t0 = Date.now();
    const err = await consumer
      .invoke(call('slow', [600], { attachments: { timeout: '100' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DubboRemoteError);
    expect((err as DubboRemoteError).status).toBe(Status.SERVER_TIMEOUT);
    expect((err as Error).message).toContain('PROXY_ERR_UPSTREAM_TIMEOUT');
    // Well before the provider's 600 ms answer (which would have been status OK).
    expect(Date.now() - t0).toBeLessThan(2000);
    const err2 = await consumer.invoke(call('slowRoute', [600])).catch((e: unknown) => e);
    expect((err2 as DubboRemoteError).status).toBe(Status.SERVER_TIMEOUT);
    expect(await stat(proxy, 'dubbo.outbound_dubbo.upstream_rq_timeout')).toBeGreaterThanOrEqual(2);
    // The late answers are dropped; the connection keeps working.
    await new Promise((r) => setTimeout(r, 600));
    expect(await consumer.invoke(call('sayHello', ['after']))).toBe('v1: hello after');
  });

  it('replies SERVICE_NOT_FOUND for no route and for an unknown cluster', async () => {
    const err = await consumer
      .invoke({ service: 'org.example.Nope', method: 'x', parameterTypes: [], args: [] })
      .catch((e: unknown) => e);
    expect((err as DubboRemoteError).status).toBe(Status.SERVICE_NOT_FOUND);
    expect((err as Error).message).toContain('PROXY_ERR_NO_ROUTE');
    const err2 = await consumer.invoke(call('goneMethod', [])).catch((e: unknown) => e);
    expect((err2 as DubboRemoteError).status).toBe(Status.SERVICE_NOT_FOUND);
    expect(await stat(proxy, 'dubbo.outbound_dubbo.route_missing')).toBeGreaterThanOrEqual(1);
    expect(await stat(proxy, 'dubbo.outbound_dubbo.unknown_cluster')).toBeGreaterThanOrEqual(1);
  });

  it('passes exceptions through and forwards one-way calls', async () => {
    const err = await consumer.invoke(call('fail', [])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DubboServiceExceptionError);
    expect((err as Error).message).toContain('v1 failed');
    expect(await stat(proxy, 'dubbo.outbound_dubbo.response_exception')).toBeGreaterThanOrEqual(1);
    const before = v1.oneway;
    await consumer.invoke(call('notify', ['x'], { oneWay: true }));
    await until(() => v1.oneway === before + 1);
    expect(await stat(proxy, 'dubbo.outbound_dubbo.request_oneway')).toBeGreaterThanOrEqual(1);
  });

  it('records Istio request metrics with request_protocol="dubbo" and per-route stats', async () => {
    const prom = (await adminGet(proxy, '/stats/prometheus')).body;
    const line = prom
      .split('\n')
      .find((l) => l.startsWith('istio_requests_total{') && l.includes('request_protocol="dubbo"'));
    expect(line).toBeDefined();
    expect(line).toContain('reporter="source"');
    expect(line).toContain(`destination_service="${DEMO}"`);
    // Calls no route matched are reported too, with Envoy's NR flag.
    expect(prom).toMatch(
      /istio_requests_total\{[^}]*destination_service="org\.example\.Nope"[^}]*response_code="60",[^}]*response_flags="NR"/,
    );
    expect(await stat(proxy, 'dubbo.outbound_dubbo.route.v2.request')).toBeGreaterThan(0);
    expect(await stat(proxy, 'dubbo.outbound_dubbo.route.v1.response_success')).toBeGreaterThan(0);
  });

  it('closes connections with a bad magic or a bogus length cleanly, and counts them', async () => {
    const before = await stat(proxy, 'dubbo.outbound_dubbo.request_decoding_error');
    const send = (bytes: Buffer) =>
      new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
        s.on('error', () => {});
        s.on('close', () => resolve());
        s.resume();
      });
    // Bad magic after a valid first byte pair would be sniffed; all-Dubbo listeners do not sniff.
    await send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    const huge = Buffer.alloc(16);
    huge.writeUInt16BE(0xdabb, 0);
    huge[2] = 0xc2;
    huge.writeInt32BE(0x7fffffff, 12);
    await send(huge);
    const negative = Buffer.from(huge);
    negative.writeInt32BE(-5, 12);
    await send(negative);
    expect((await stat(proxy, 'dubbo.outbound_dubbo.request_decoding_error')) - before).toBe(3);
    // A well-framed request whose body is garbage: BAD_REQUEST for that call, connection kept.
    const conn = await DubboConnection.connect({ host: '127.0.0.1', port });
    const bad = await conn.request((id) => {
      const f = Buffer.alloc(16 + 4);
      f.writeUInt16BE(0xdabb, 0);
      f[2] = 0xc2;
      f.writeBigInt64BE(id, 4);
      f.writeInt32BE(4, 12);
      f.write('\xff\xff\xff\xff', 16, 'latin1');
      return f;
    }, 2000);
    expect(bad?.status).toBe(Status.BAD_REQUEST);
    expect(bad?.errorMessage).toContain('PROXY_ERR_PROTOCOL');
    expect(conn.closed).toBe(false);
    conn.close();
    expect(await consumer.invoke(call('sayHello', ['still']))).toBe('v1: hello still');
  });

  it('survives random frames (valid magic and length, random flags and bodies) and keeps serving', async () => {
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const sockets = Array.from({ length: 200 }, () => {
      const body = Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)));
      const f = Buffer.alloc(16 + body.length);
      f.writeUInt16BE(0xdabb, 0);
      f[2] = Math.floor(rnd() * 256);
      f.writeBigInt64BE(BigInt(Math.floor(rnd() * 1e9)), 4);
      f.writeInt32BE(body.length, 12);
      body.copy(f, 16);
      return new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.end(f));
        s.on('error', () => {});
        s.on('close', () => resolve());
        s.resume();
        setTimeout(() => s.destroy(), 1000);
      });
    });
    await Promise.all(sockets);
    expect(await consumer.invoke(call('sayHello', ['fuzzed']))).toBe('v1: hello fuzzed');
  });
});
