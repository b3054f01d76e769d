// strait-proxy configured entirely by the real strait-pilot over ADS (SotW and Delta): traffic follows
// the pushed config, a VirtualService change shifts traffic without dropping unrelated connections, and
// the proxy reconnects after the pilot restarts.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminJson,
  adsBootstrap,
  eventually,
  freePort,
  get,
  PILOT_BIN,
  PROXY_BIN,
  type Proc,
  startPilot,
  startProxy,
  tempDir,
  type Upstream,
  upstream,
  waitReady,
} from './helpers.js';

function serviceEntries(webPort: number, otherPort: number, v1: number, v2: number, other: number): string {
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: web, namespace: default }
spec:
  hosts: [web.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${webPort}, name: http, protocol: HTTP }]
  endpoints:
    - { address: 127.0.0.1, ports: { http: ${v1} }, labels: { version: v1 } }
    - { address: 127.0.0.1, ports: { http: ${v2} }, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: other, namespace: default }
spec:
  hosts: [other.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${otherPort}, name: http, protocol: HTTP }]
  endpoints:
    - { address: 127.0.0.1, ports: { http: ${other} } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: default }
spec:
  host: web.test
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;
}

/**
 * The web.test VirtualService: one subset, or a weighted split. Istio 1.15+ weights are relative, so
 * 30/30 is an even split (the old rule refused it for not adding up to 100).
 */
function virtualService(...split: [subset: string, weight?: number][]): string {
  const dests = split.map(
    ([subset, weight]) =>
      `{ destination: { host: web.test, subset: ${subset} }${weight === undefined ? '' : `, weight: ${weight}`} }`,
  );
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [web.test]
  http:
    - route: [${dests.join(', ')}]
`;
}

describe.skipIf(!existsSync(PILOT_BIN) || !existsSync(PROXY_BIN)).each(['sotw', 'delta'] as const)(
  'proxy configured by strait-pilot over ADS (%s)',
  (variant) => {
    let dir: string;
    let v1: Upstream;
    let v2: Upstream;
    let other: Upstream;
    let webPort: number;
    let otherPort: number;
    let pilot: { proc: Proc; xds: string; http: string };
    let proxy: { proc: Proc; admin: number; dir: string };

    beforeAll(async () => {
      dir = tempDir('xds-pilot-');
      [v1, v2, other] = await Promise.all([upstream('v1'), upstream('v2'), upstream('other')]);
      webPort = await freePort();
      otherPort = await freePort();
      writeFileSync(
        join(dir, 'services.yaml'),
        serviceEntries(webPort, otherPort, v1.port, v2.port, other.port),
      );
      writeFileSync(join(dir, 'vs.yaml'), virtualService(['v1']));
      pilot = await startPilot(dir);
      proxy = await startProxy(adsBootstrap({ xds: pilot.xds, variant }), ['--interception', 'none']);
      await waitReady(proxy.admin);
    }, 60_000);

    afterAll(async () => {
      await proxy?.proc.stop();
      await pilot?.proc.stop();
      await Promise.all([v1?.close(), v2?.close(), other?.close()]);
      rmSync(dir, { recursive: true, force: true });
      rmSync(proxy.dir, { recursive: true, force: true });
    });

    it('routes traffic by the pushed listeners, routes, clusters and endpoints', async () => {
      const r = await eventually(
        () => get(webPort, `web.test:${webPort}`, '/a'),
        (x) => x.status === 200,
        15_000,
        'traffic through the pilot-configured listener',
      );
      expect(r.body).toBe('v1 /a');
      expect((await get(otherPort, `other.test:${otherPort}`, '/o')).body).toBe('other /o');
      const dump = await adminJson<{ configs: Record<string, unknown>[] }>(proxy.admin, '/config_dump');
      const byType = (t: string) => dump.configs.find((c) => String(c['@type']).endsWith(t))!;
      const clusters = byType('ClustersConfigDump')['dynamic_active_clusters'] as {
        cluster: { name: string };
      }[];
      expect(clusters.map((c) => c.cluster.name)).toContain(`outbound|${webPort}|v1|web.test`);
      const listeners = byType('ListenersConfigDump')['dynamic_listeners'] as {
        name: string;
        active_state?: { version_info: string };
      }[];
      expect(listeners.find((l) => l.name === `0.0.0.0_${webPort}`)?.active_state?.version_info).toBeTruthy();
      const routes = byType('RoutesConfigDump')['dynamic_route_configs'] as {
        version_info: string;
        last_updated: string;
        route_config: { name: string };
      }[];
      expect(routes.map((x) => x.route_config.name)).toContain(String(webPort));
    });

    it('a VirtualService change shifts traffic without dropping long-lived connections', async () => {
      const sameListener = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const otherListener = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const a0 = await get(webPort, `web.test:${webPort}`, '/before', sameListener);
        const b0 = await get(otherPort, `other.test:${otherPort}`, '/before', otherListener);
        expect(a0.body).toBe('v1 /before');
        writeFileSync(join(dir, 'vs.yaml'), virtualService(['v2']));
        const a1 = await eventually(
          () => get(webPort, `web.test:${webPort}`, '/after', sameListener),
          (x) => x.body === 'v2 /after',
          15_000,
          'traffic shifted to v2',
        );
        // Same client socket: neither the route update nor the new cluster touched the connection.
        expect(a1.localPort).toBe(a0.localPort);
        const b1 = await get(otherPort, `other.test:${otherPort}`, '/after', otherListener);
        expect(b1.body).toBe('other /after');
        expect(b1.localPort).toBe(b0.localPort);
      } finally {
        sameListener.destroy();
        otherListener.destroy();
      }
    });

    it('splits traffic evenly for weights 30/30, sending Envoy the weights unscaled', async () => {
      writeFileSync(join(dir, 'vs.yaml'), virtualService(['v1', 30], ['v2', 30]));
      const seen = new Set<string>();
      await eventually(
        async () => {
          seen.add((await get(webPort, `web.test:${webPort}`, '/s')).body);
          return seen;
        },
        (x) => x.has('v1 /s') && x.has('v2 /s'),
        15_000,
        'both subsets reached',
      );
      const counts = { v1: 0, v2: 0 };
      for (let i = 0; i < 200; i++) {
        const body = (await get(webPort, `web.test:${webPort}`, '/s')).body;
        if (body === 'v1 /s') counts.v1++;
        else if (body === 'v2 /s') counts.v2++;
      }
      expect(counts.v1 + counts.v2).toBe(200);
      // 200 draws of a fair coin: 0.35..0.65 is more than 4 standard deviations either side.
      expect(counts.v1 / 200).toBeGreaterThan(0.35);
      expect(counts.v1 / 200).toBeLessThan(0.65);
      const dump = await adminJson<{ configs: Record<string, unknown>[] }>(proxy.admin, '/config_dump');
      const routes = dump.configs.find((c) => String(c['@type']).endsWith('RoutesConfigDump'))![
        'dynamic_route_configs'
      ] as { route_config: { name: string; virtual_hosts?: { routes?: { route?: unknown }[] }[] } }[];
      const web = routes.find((r) => r.route_config.name === String(webPort))!.route_config;
      const action = web.virtual_hosts!.flatMap((v) => v.routes ?? []).find((r) => r.route)!.route as {
        weighted_clusters: { clusters: { name: string; weight: number }[]; total_weight?: number };
      };
      expect(action.weighted_clusters.clusters.map((c) => [c.name, c.weight])).toEqual([
        [`outbound|${webPort}|v1|web.test`, 30],
        [`outbound|${webPort}|v2|web.test`, 30],
      ]);
      expect(action.weighted_clusters.total_weight).toBeUndefined();
    });

    it('reconnects after the pilot restarts and keeps following config', async () => {
      const stats = async () => (await get(proxy.admin, '127.0.0.1', '/stats')).body;
      const opened = (s: string) => Number(/control_plane\.stream_opened: (\d+)/.exec(s)?.[1] ?? 0);
      const before = opened(await stats());
      await pilot.proc.stop();
      // Traffic keeps flowing on the last good config while the pilot is gone.
      expect((await get(webPort, `web.test:${webPort}`, '/down')).status).toBe(200);
      writeFileSync(join(dir, 'vs.yaml'), virtualService(['v1']));
      pilot = await startPilot(dir, pilot.xds);
      await eventually(
        stats,
        (s) => opened(s) > before && /control_plane\.connected_state: 1/.test(s),
        20_000,
        'reconnected',
      );
      const r = await eventually(
        () => get(webPort, `web.test:${webPort}`, '/back'),
        (x) => x.body === 'v1 /back',
        15_000,
        'config from the restarted pilot',
      );
      expect(r.status).toBe(200);
    }, 60_000);
  },
);
