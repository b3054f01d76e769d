// Behaviour names after grpc-js-xds's test-nack: an invalid resource is NACKed with a precise
// error_detail (resource, field, reason), the proxy keeps using the last good version, and
// /config_dump shows the rejection. Then the server restarts: the proxy reconnects, and Delta declares
// what it holds in initial_resource_versions (SotW: the last applied version_info).
import { existsSync, rmSync } from 'node:fs';
import { envoy, TypeUrl } from '@strait/xds';
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

const e = envoy;

function cluster(): Uint8Array {
  return e.config.cluster.v3.Cluster.encode({
    name: 'up',
    type: e.config.cluster.v3.Cluster.DiscoveryType.EDS,
    edsClusterConfig: { edsConfig: { ads: {}, resourceApiVersion: 2 } },
    connectTimeout: { seconds: 1 },
  }).finish();
}

function endpoints(port: number): Uint8Array {
  return e.config.endpoint.v3.ClusterLoadAssignment.encode({
    clusterName: 'up',
    endpoints: [
      {
        lbEndpoints: [
          { endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: port } } } },
        ],
      },
    ],
  }).finish();
}

function listener(port: number): Uint8Array {
  const hcm = e.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.encode({
    statPrefix: 'http',
    rds: { configSource: { ads: {}, resourceApiVersion: 2 }, routeConfigName: 'routes' },
    httpFilters: [
      {
        name: 'envoy.filters.http.router',
        typedConfig: { type_url: TypeUrl.Router, value: new Uint8Array() },
      },
    ],
  }).finish();
  return e.config.listener.v3.Listener.encode({
    name: 'http',
    address: { socketAddress: { address: '127.0.0.1', portValue: port } },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: { type_url: TypeUrl.HttpConnectionManager, value: hcm },
          },
        ],
      },
    ],
  }).finish();
}

function routes(pathRegex?: string, header = 'good'): Uint8Array {
  return e.config.route.v3.RouteConfiguration.encode({
    name: 'routes',
    virtualHosts: [
      {
        name: 'all',
        domains: ['*'],
        routes: [
          {
            match: pathRegex ? { safeRegex: { regex: pathRegex } } : { prefix: '/' },
            route: { cluster: 'up' },
            responseHeadersToAdd: [{ header: { key: 'x-config', value: header } }],
          },
        ],
      },
    ],
  }).finish();
}

describe.skipIf(!existsSync(PROXY_BIN)).each(['sotw', 'delta'] as const)(
  'NACK and reconnect (%s)',
  (variant) => {
    let server: FakeXdsServer;
    let up: Upstream;
    let port: number;
    let proxy: { proc: Proc; admin: number; dir: string };

    beforeAll(async () => {
      up = await upstream('up');
      port = await freePort();
      server = new FakeXdsServer();
      await server.listen();
      server.set(TypeUrl.Cluster, 'up', cluster());
      server.set(TypeUrl.ClusterLoadAssignment, 'up', endpoints(up.port));
      server.set(TypeUrl.Listener, 'http', listener(port));
      server.set(TypeUrl.RouteConfiguration, 'routes', routes());
      proxy = await startProxy(adsBootstrap({ xds: `127.0.0.1:${server.port}`, variant }));
      await waitReady(proxy.admin);
    }, 60_000);

    afterAll(async () => {
      await proxy?.proc.stop();
      await server?.close();
      await up?.close();
      rmSync(proxy.dir, { recursive: true, force: true });
    });

    it('subscribes in Envoy order with the node on the first request, and serves the config', async () => {
      const first = server.requests.filter((r) => r.stream === 1);
      expect(first[0]!.typeUrl).toBe(TypeUrl.Cluster);
      expect(first[0]!.node).toBe('sidecar~127.0.0.1~client-1.default~default.svc.cluster.local');
      expect(first.filter((r) => r.node)).toHaveLength(1);
      expect(first[0]!.nodeJson).toMatchObject({
        cluster: 'client.default',
        locality: { region: 'r1', zone: 'z1' },
        metadata: { fields: { NAMESPACE: { stringValue: 'default' } } },
        userAgentName: 'strait-proxy',
      });
      const order = [...new Set(first.map((r) => r.typeUrl))];
      expect(order).toEqual([
        TypeUrl.Cluster,
        TypeUrl.ClusterLoadAssignment,
        TypeUrl.Listener,
        TypeUrl.RouteConfiguration,
      ]);
      expect(first.every((r) => !r.errorDetail)).toBe(true);
      const r = await get(port, 'x', '/hello');
      expect(r.body).toBe('up /hello');
    });

    it('NACKs an invalid RouteConfiguration naming the resource and field, and keeps the last good one', async () => {
      server.set(TypeUrl.RouteConfiguration, 'routes', routes('((', 'bad'));
      server.push();
      const nack = await eventually(
        async () => server.requests.find((r) => r.typeUrl === TypeUrl.RouteConfiguration && r.errorDetail),
        (x) => x !== undefined,
        10_000,
        'a RDS NACK',
      );
      expect(nack!.errorDetail).toMatch(
        /routes: .*virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex\.regex/,
      );
      expect(nack!.errorDetail).toContain('PROXY_ERR_INVALID_REGEX');
      // Last good config still serves.
      const r = await get(port, 'x', '/still');
      expect(r.body).toBe('up /still');
      const dump = await adminJson<{ configs: Record<string, unknown>[] }>(proxy.admin, '/config_dump');
      const rd = dump.configs.find((c) => String(c['@type']).endsWith('RoutesConfigDump'))!;
      const errs = rd['error_states'] as { name: string; error_state: { details: string } }[];
      expect(errs.find((x) => x.name === 'routes')?.error_state.details).toContain('PROXY_ERR_INVALID_REGEX');
      const active = rd['dynamic_route_configs'] as { version_info: string; last_updated: string }[];
      expect(active).toHaveLength(1);
      expect(active[0]!.last_updated).toBeTruthy();
    });

    it('NACKs an invalid Listener and keeps serving on the last good one (error_state beside active_state)', async () => {
      const bad = e.config.listener.v3.Listener.decode(listener(port));
      bad.listenerFilters = [{ name: 'envoy.filters.listener.nope' }];
      server.set(TypeUrl.Listener, 'http', e.config.listener.v3.Listener.encode(bad).finish());
      server.push();
      const nack = await eventually(
        async () => server.requests.find((r) => r.typeUrl === TypeUrl.Listener && r.errorDetail),
        (x) => x !== undefined,
        10_000,
        'an LDS NACK',
      );
      expect(nack!.errorDetail).toMatch(
        /http: listener_filters\[0\]: .*envoy\.filters\.listener\.nope.*PROXY_ERR_UNSUPPORTED/,
      );
      expect((await get(port, 'x', '/l')).body).toBe('up /l');
      const dump = await adminJson<{ configs: Record<string, unknown>[] }>(proxy.admin, '/config_dump');
      const ld = dump.configs.find((c) => String(c['@type']).endsWith('ListenersConfigDump'))!;
      const http = (
        ld['dynamic_listeners'] as {
          name: string;
          active_state?: unknown;
          error_state?: { details: string };
        }[]
      ).find((l) => l.name === 'http');
      expect(http?.active_state).toBeTruthy();
      expect(http?.error_state?.details).toContain('listener_filters[0]');
      server.set(TypeUrl.Listener, 'http', listener(port));
      server.push();
    });

    it('reconnects after the server restarts, declaring what it holds', async () => {
      const p = server.port;
      const held = server.requests.length;
      await server.close();
      server.requests.splice(0, held);
      const next = new FakeXdsServer();
      next.set(TypeUrl.Cluster, 'up', cluster());
      next.set(TypeUrl.ClusterLoadAssignment, 'up', endpoints(up.port));
      next.set(TypeUrl.Listener, 'http', listener(port));
      next.set(TypeUrl.RouteConfiguration, 'routes', routes(undefined, 'after-restart'));
      await next.listen(p);
      server = next;
      const cds = await eventually(
        async () => server.requests.find((r) => r.typeUrl === TypeUrl.Cluster),
        (x) => x !== undefined,
        40_000,
        'a CDS request after the restart',
      );
      if (variant === 'delta') expect(Object.keys(cds!.initialResourceVersions ?? {})).toEqual(['up']);
      else expect(cds!.versionInfo).not.toBe('');
      // Every type is re-requested on the new stream (the requests arrive one by one).
      const rds = await eventually(
        async () => server.requests.find((r) => r.typeUrl === TypeUrl.RouteConfiguration),
        (x) => x !== undefined,
        10_000,
        'an RDS request after the restart',
      );
      if (variant === 'delta') expect(Object.keys(rds?.initialResourceVersions ?? {})).toEqual(['routes']);
      const r = await eventually(
        async () => get(port, 'x', '/again'),
        (x) => x.body === 'up /again',
        10_000,
        'traffic after reconnect',
      );
      expect(r.status).toBe(200);
    }, 60_000);
  },
);
