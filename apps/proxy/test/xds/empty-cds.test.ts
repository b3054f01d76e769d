// A management server with no clusters at all: the empty CDS response still completes cluster
// initialization, so LDS starts at once instead of after the initial fetch timeout.
import { existsSync, rmSync } from 'node:fs';
import { envoy, TypeUrl } from '@strait/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeXdsServer } from './fake-xds-server.js';
import { adsBootstrap, freePort, get, PROXY_BIN, type Proc, startProxy, waitReady } from './helpers.js';
import { httpListener } from './resources.js';

describe.skipIf(!existsSync(PROXY_BIN))('no clusters', () => {
  let server: FakeXdsServer;
  let port: number;
  let proxy: { proc: Proc; admin: number; dir: string };

  beforeAll(async () => {
    port = await freePort();
    server = new FakeXdsServer();
    await server.listen();
    server.set(TypeUrl.Listener, 'http', httpListener('http', port, 'routes'));
    server.set(
      TypeUrl.RouteConfiguration,
      'routes',
      envoy.config.route.v3.RouteConfiguration.encode({
        name: 'routes',
        virtualHosts: [
          {
            name: 'all',
            domains: ['*'],
            routes: [
              { match: { prefix: '/' }, directResponse: { status: 200, body: { inlineString: 'direct' } } },
            ],
          },
        ],
      }).finish(),
    );
    proxy = await startProxy(
      adsBootstrap({ xds: `127.0.0.1:${server.port}`, variant: 'sotw', initialFetchTimeout: '60s' }),
    );
  }, 60_000);

  afterAll(async () => {
    await proxy?.proc.stop();
    await server?.close();
    if (proxy) rmSync(proxy.dir, { recursive: true, force: true });
  });

  it('starts LDS after an empty CDS response without waiting for the initial fetch timeout', async () => {
    await waitReady(proxy.admin, 20_000);
    expect((await get(port, 'x', '/')).body).toBe('direct');
  });
});
