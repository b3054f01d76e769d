// Envoy's warming over a real stream: a route naming a cluster that is still waiting for its endpoints
// is held back (traffic stays on the last good route) until EDS arrives, or until the initial fetch
// timeout gives up waiting.
import { existsSync, rmSync } from 'node:fs';
import { TypeUrl } from '@strait/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeXdsServer } from './fake-xds-server.js';
import {
  adminJson,
  adsBootstrap,
  eventually,
  freePort,
  get,
  PROXY_BIN,
  type Proc,
  startProxy,
  type Upstream,
  upstream,
  waitReady,
} from './helpers.js';
import { edsCluster, endpoints, httpListener, routeConfig } from './resources.js';

describe.skipIf(!existsSync(PROXY_BIN))('cluster warming gates routes', () => {
  let server: FakeXdsServer;
  let one: Upstream;
  let two: Upstream;
  let port: number;
  let proxy: { proc: Proc; admin: number; dir: string };

  beforeAll(async () => {
    [one, two] = await Promise.all([upstream('one'), upstream('two')]);
    port = await freePort();
    server = new FakeXdsServer();
    await server.listen();
    server.set(TypeUrl.Cluster, 'one', edsCluster('one'));
    server.set(TypeUrl.ClusterLoadAssignment, 'one', endpoints('one', one.port));
    server.set(TypeUrl.Listener, 'http', httpListener('http', port, 'routes'));
    server.set(TypeUrl.RouteConfiguration, 'routes', routeConfig('routes', 'one'));
    proxy = await startProxy(
      adsBootstrap({ xds: `127.0.0.1:${server.port}`, variant: 'sotw', initialFetchTimeout: '3s' }),
    );
    await waitReady(proxy.admin);
  }, 60_000);

  afterAll(async () => {
    await proxy?.proc.stop();
    await server?.close();
    await Promise.all([one?.close(), two?.close()]);
    if (proxy) rmSync(proxy.dir, { recursive: true, force: true });
  });

  it('keeps the old route until the new cluster has endpoints', async () => {
    expect((await get(port, 'x', '/a')).body).toBe('one /a');
    server.set(TypeUrl.Cluster, 'two', edsCluster('two'));
    server.set(TypeUrl.RouteConfiguration, 'routes', routeConfig('routes', 'two'));
    server.push();
    // Both responses were ACKed (nothing is wrong with them) ...
    await eventually(
      async () =>
        server.requests.filter((r) => r.typeUrl === TypeUrl.RouteConfiguration && r.nonce !== '').length,
      (n) => n >= 2,
      10_000,
      'the new RDS response ACKed',
    );
    // ... but "two" has no endpoints yet, so the route that names it waits: traffic stays on "one".
    for (let i = 0; i < 3; i++) expect((await get(port, 'x', '/b')).body).toBe('one /b');
    const dump = await adminJson<{ configs: Record<string, unknown>[] }>(proxy.admin, '/config_dump');
    const cd = dump.configs.find((c) => String(c['@type']).endsWith('ClustersConfigDump'))!;
    const warmingNames = (cd['dynamic_warming_clusters'] as { cluster: { name: string } }[]).map(
      (c) => c.cluster.name,
    );
    expect(warmingNames).toEqual(['two']);
    server.set(TypeUrl.ClusterLoadAssignment, 'two', endpoints('two', two.port));
    server.push();
    const r = await eventually(
      () => get(port, 'x', '/c'),
      (x) => x.body === 'two /c',
      10_000,
      'route activated',
    );
    expect(r.status).toBe(200);
  });

  it('activates a route whose cluster never gets endpoints after the initial fetch timeout', async () => {
    server.set(TypeUrl.Cluster, 'three', edsCluster('three'));
    server.set(TypeUrl.RouteConfiguration, 'routes', routeConfig('routes', 'three'));
    server.push();
    const t0 = Date.now();
    expect((await get(port, 'x', '/d')).body).toBe('two /d');
    // After the timeout the cluster warms empty and the route applies: no healthy upstream.
    const r = await eventually(
      () => get(port, 'x', '/e'),
      (x) => x.status === 503,
      15_000,
      'warming timeout',
    );
    expect(r.status).toBe(503);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
  }, 30_000);
});
