import http from 'node:http';
import { envoy } from '@strait/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import {
  adminGet,
  httpUpstream,
  request,
  startProxy,
  staticCluster,
  type Upstream,
} from '../helpers/harness.js';

const hcmAny = (
  hcm: envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.$Properties,
) => ({
  type_url:
    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  value:
    envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.encode(hcm).finish(),
});
const routerFilter = {
  name: 'envoy.filters.http.router',
  typedConfig: {
    type_url: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
    value: new Uint8Array(),
  },
};
const listener = (
  name: string,
  hcm: envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.$Properties,
) => ({
  name,
  address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
  filterChains: [
    { filters: [{ name: 'envoy.filters.network.http_connection_manager', typedConfig: hcmAny(hcm) }] },
  ],
});
const routeTo = (name: string, cluster: string) => ({
  name,
  virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }],
});

describe('incremental updates (the xDS client seam)', () => {
  let a: Upstream;
  let b: Upstream;
  let proxy: StraitProxy;

  beforeAll(async () => {
    a = await httpUpstream('a', (_q, r) => r.end('a'));
    b = await httpUpstream('b', (_q, r) => r.end('b'));
    proxy = await startProxy(`
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
static_resources:
  clusters:${staticCluster('a', [a.port])}${staticCluster('b', [b.port])}
`);
  });

  afterAll(async () => {
    await proxy.shutdown();
    await a.close();
    await b.close();
  });

  it('RDS: a route update applies to the next request on the same connection', async () => {
    const res = await proxy.applyListener(
      listener('rds', { statPrefix: 'rds', rds: { routeConfigName: 'r1' }, httpFilters: [routerFilter] }),
    );
    expect(res.ok).toBe(true);
    const port = proxy.listenerPort('rds')!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await request(port, { agent })).status).toBe(404);
    expect(proxy.applyRouteConfiguration(routeTo('r1', 'a')).ok).toBe(true);
    expect((await request(port, { agent })).body).toBe('a');
    expect(proxy.applyRouteConfiguration(routeTo('r1', 'b')).ok).toBe(true);
    let closed = false;
    Object.values(agent.freeSockets)[0]?.[0]?.once('close', () => {
      closed = true;
    });
    expect((await request(port, { agent })).body).toBe('b');
    expect(closed).toBe(false);
    agent.destroy();
  });

  it('EDS: endpoints update in place; priority failover to P1 when P0 has no healthy host', async () => {
    expect(
      proxy.applyCluster({
        name: 'eds',
        type: envoy.config.cluster.v3.Cluster.DiscoveryType.EDS,
        connectTimeout: { seconds: 1 },
        edsClusterConfig: { serviceName: 'svc-eds' },
      }).ok,
    ).toBe(true);
    expect(proxy.applyRouteConfiguration(routeTo('r1', 'eds')).ok).toBe(true);
    const port = proxy.listenerPort('rds')!;
    expect((await request(port)).status).toBe(503);
    const ep = (p: number, healthStatus = envoy.config.core.v3.HealthStatus.HEALTHY) => ({
      endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: p } } },
      healthStatus,
    });
    expect(
      proxy.applyLoadAssignment({
        clusterName: 'svc-eds',
        endpoints: [{ lbEndpoints: [ep(a.port)] }, { priority: 1, lbEndpoints: [ep(b.port)] }],
      }).ok,
    ).toBe(true);
    for (let i = 0; i < 5; i++) expect((await request(port)).body).toBe('a');
    proxy.applyLoadAssignment({
      clusterName: 'svc-eds',
      endpoints: [
        { lbEndpoints: [ep(a.port, envoy.config.core.v3.HealthStatus.UNHEALTHY)] },
        { priority: 1, lbEndpoints: [ep(b.port)] },
      ],
    });
    for (let i = 0; i < 5; i++) expect((await request(port)).body).toBe('b');
    const clusters = (await adminGet(proxy, '/clusters')).body;
    expect(clusters).toContain(`eds::127.0.0.1:${a.port}::health_flags::/failed_eds_health`);
    expect(clusters).toContain(`eds::127.0.0.1:${b.port}::priority::1`);
  });

  it('rejects an invalid update with field paths and keeps the last good resource', async () => {
    const bad = proxy.applyRouteConfiguration({
      name: 'r1',
      virtualHosts: [
        {
          name: 'x',
          domains: ['*'],
          routes: [{ match: { safeRegex: { regex: '([' } }, route: { cluster: 'a' } }],
        },
      ],
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.issues[0]).toMatchObject({
      code: 'PROXY_ERR_INVALID_REGEX',
      resource: 'RouteConfiguration "r1"',
      path: 'virtual_hosts[0].routes[0].match.safe_regex.regex',
    });
    expect((await request(proxy.listenerPort('rds')!)).status).toBe(200);
  });

  it('LDS: a listener update drains only connections of the filter chain that changed', async () => {
    const port = proxy.listenerPort('rds')!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await request(port, { agent })).status).toBe(200);
    const sock = Object.values(agent.freeSockets)[0]?.[0];
    let closed = false;
    sock?.once('close', () => {
      closed = true;
    });
    // Same filter chain, other listener field: connections stay.
    const same = listener('rds', {
      statPrefix: 'rds',
      rds: { routeConfigName: 'r1' },
      httpFilters: [routerFilter],
    });
    expect((await proxy.applyListener({ ...same, listenerFiltersTimeout: { seconds: 3 } })).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    expect(proxy.listenerPort('rds')).toBe(port);
    // Changed chain (new stat prefix and route): the idle connection of the old chain is drained.
    expect(
      (
        await proxy.applyListener(
          listener('rds', {
            statPrefix: 'rds2',
            routeConfig: routeTo('inline', 'a'),
            httpFilters: [routerFilter],
          }),
        )
      ).ok,
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(true);
    expect((await request(port)).body).toBe('a');
    agent.destroy();
  });
});
