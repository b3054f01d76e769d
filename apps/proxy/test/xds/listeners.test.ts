// LDS over a real stream: removing or changing one listener drains only that listener's connections;
// connections on other listeners keep their sockets.
import { existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import { TypeUrl } from '@strait/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeXdsServer } from './fake-xds-server.js';
import {
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

describe.skipIf(!existsSync(PROXY_BIN))('listener updates are per listener', () => {
  let server: FakeXdsServer;
  let up: Upstream;
  let portA: number;
  let portB: number;
  let proxy: { proc: Proc; admin: number; dir: string };

  beforeAll(async () => {
    up = await upstream('up');
    [portA, portB] = [await freePort(), await freePort()];
    server = new FakeXdsServer();
    await server.listen();
    server.set(TypeUrl.Cluster, 'up', edsCluster('up'));
    server.set(TypeUrl.ClusterLoadAssignment, 'up', endpoints('up', up.port));
    server.set(TypeUrl.Listener, 'a', httpListener('a', portA, 'ra'));
    server.set(TypeUrl.Listener, 'b', httpListener('b', portB, 'rb'));
    server.set(TypeUrl.RouteConfiguration, 'ra', routeConfig('ra', 'up'));
    server.set(TypeUrl.RouteConfiguration, 'rb', routeConfig('rb', 'up'));
    proxy = await startProxy(adsBootstrap({ xds: `127.0.0.1:${server.port}`, variant: 'delta' }));
    await waitReady(proxy.admin);
  }, 60_000);

  afterAll(async () => {
    await proxy?.proc.stop();
    await server?.close();
    await up?.close();
    if (proxy) rmSync(proxy.dir, { recursive: true, force: true });
  });

  it('removing listener b leaves a long-lived connection on listener a untouched', async () => {
    const agentA = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a0 = await get(portA, 'x', '/a0', agentA);
      expect(a0.body).toBe('up /a0');
      expect((await get(portB, 'x', '/b0')).body).toBe('up /b0');
      server.set(TypeUrl.Listener, 'b', undefined);
      server.set(TypeUrl.RouteConfiguration, 'rb', undefined);
      server.push();
      await eventually(
        () =>
          get(portB, 'x', '/b1').then(
            () => 'open',
            () => 'refused',
          ),
        (s) => s === 'refused',
        10_000,
        'listener b gone',
      );
      const a1 = await get(portA, 'x', '/a1', agentA);
      expect(a1.body).toBe('up /a1');
      expect(a1.localPort).toBe(a0.localPort);
      // A route change on listener a touches no connection either.
      server.set(TypeUrl.RouteConfiguration, 'ra', routeConfig('ra', 'up', { tag: 'v2' }));
      server.push();
      await new Promise((r) => setTimeout(r, 500));
      const a2 = await get(portA, 'x', '/a2', agentA);
      expect(a2.localPort).toBe(a0.localPort);
    } finally {
      agentA.destroy();
    }
  });
});
