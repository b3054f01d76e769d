import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import {
  adminGet,
  httpBootstrap,
  httpUpstream,
  request,
  staticCluster,
  type Upstream,
} from '../helpers/harness.js';

describe('HTTP/1.1 through the proxy', () => {
  let a: Upstream;
  let b: Upstream;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    a = await httpUpstream('a');
    b = await httpUpstream('b');
    proxy = await import('../helpers/harness.js').then((h) =>
      h.startProxy(
        httpBootstrap(
          `
- name: api
  domains: ["api.example.com", "*.wild.example.com"]
  response_headers_to_add: [{ header: { key: x-vh, value: api } }]
  routes:
    - match: { prefix: "/b", headers: [{ name: x-canary, string_match: { exact: "yes" } }] }
      route: { cluster: b }
    - match: { path: "/exact", query_parameters: [{ name: v, string_match: { exact: "2" } }] }
      route: { cluster: b }
    - match: { safe_regex: { regex: "/items/[0-9]+" } }
      route: { cluster: b }
    - match: { prefix: "/old/" }
      route: { cluster: b, prefix_rewrite: "/new/" }
    - match: { prefix: "/direct" }
      direct_response: { status: 418, body: { inline_string: "teapot" } }
    - match: { prefix: "/" }
      route: { cluster: a }
      request_headers_to_add: [{ header: { key: x-added, value: "1" } }]
      request_headers_to_remove: [x-secret]
      response_headers_to_add: [{ header: { key: x-route, value: default } }]
- name: narrow
  domains: ["narrow.example.com"]
  routes:
    - match: { prefix: "/only" }
      route: { cluster: a }
- name: other
  domains: ["*"]
  routes:
    - match: { prefix: "/" }
      route: { cluster: b }`,
          staticCluster('a', [a.port]) + staticCluster('b', [b.port]),
        ),
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    await a.close();
    await b.close();
  });

  it('routes by authority, path, headers and query, with header manipulation', async () => {
    const r1 = await request(port, { path: '/x', headers: { host: 'api.example.com', 'x-secret': 's' } });
    expect(r1.status).toBe(200);
    const body1 = JSON.parse(r1.body);
    expect(body1.name).toBe('a');
    expect(body1.headers['x-added']).toBe('1');
    expect(body1.headers['x-secret']).toBeUndefined();
    expect(body1.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r1.headers['x-route']).toBe('default');
    expect(r1.headers['x-vh']).toBe('api');
    expect(r1.headers['x-envoy-upstream-service-time']).toBeDefined();

    expect(
      JSON.parse(
        (await request(port, { path: '/b1', headers: { host: 'api.example.com', 'x-canary': 'yes' } })).body,
      ).name,
    ).toBe('b');
    expect(
      JSON.parse((await request(port, { path: '/b1', headers: { host: 'api.example.com' } })).body).name,
    ).toBe('a');
    expect(
      JSON.parse((await request(port, { path: '/exact?v=2', headers: { host: 'api.example.com' } })).body)
        .name,
    ).toBe('b');
    expect(
      JSON.parse((await request(port, { path: '/exact?v=3', headers: { host: 'api.example.com' } })).body)
        .name,
    ).toBe('a');
    const re = JSON.parse(
      (await request(port, { path: '/items/42', headers: { host: 'x.wild.example.com' } })).body,
    );
    expect(re).toMatchObject({ name: 'b', url: '/items/42' });
    const rw = JSON.parse(
      (await request(port, { path: '/old/x?q=1', headers: { host: 'api.example.com' } })).body,
    );
    expect(rw).toMatchObject({ name: 'b', url: '/new/x?q=1' });
    expect(JSON.parse((await request(port, { path: '/', headers: { host: 'elsewhere' } })).body).name).toBe(
      'b',
    );
    const d = await request(port, { path: '/direct', headers: { host: 'api.example.com:8080' } });
    expect([d.status, d.body]).toEqual([418, 'teapot']);
  });

  it('reuses downstream and upstream keep-alive connections and forwards bodies', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    agent.on('free', (s) => sockets.add(s));
    for (let i = 0; i < 5; i++) {
      const r = await request(port, {
        path: '/p',
        method: 'POST',
        body: `hello ${i}`,
        headers: { host: 'api.example.com' },
        agent,
      });
      expect(JSON.parse(r.body).body).toBe(`hello ${i}`);
    }
    agent.destroy();
    expect(sockets.size).toBe(1);
    const clusters = (await adminGet(proxy, '/clusters')).body;
    expect(clusters).toContain(`a::127.0.0.1:${a.port}::health_flags::healthy`);
    // Upstream connections are pooled: far fewer than requests.
    const stats = (await adminGet(proxy, '/stats?filter=cluster.a.upstream_cx_total')).body;
    const cx = Number(/cluster\.a\.upstream_cx_total: (\d+)/.exec(stats)?.[1]);
    expect(cx).toBeGreaterThan(0);
    expect(cx).toBeLessThanOrEqual(3);
  });

  it('answers 404 with flag NR when no route matches', async () => {
    const r = await request(port, { path: '/nothing', headers: { host: 'narrow.example.com' } });
    expect(r.status).toBe(404);
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(stats).toMatch(/http\.outbound_http\.no_route: [1-9]/);
    expect(stats).toMatch(/http\.outbound_http\.downstream_rq_4xx: [1-9]/);
  });
});
