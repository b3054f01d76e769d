// DestinationRule localityLbSetting end to end: the real strait-pilot translates it for a real
// strait-proxy whose bootstrap node has a locality (r1/z1/c1), network and labels, in front of real
// HTTP backends placed in localities by ServiceEntry endpoints. Traffic is counted per backend.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
  waitReady,
} from './helpers.js';

/** A backend that answers its name, or 503 once marked down (what outlier detection ejects on). */
interface Backend {
  readonly name: string;
  port: number;
  down: boolean;
  close(): Promise<void>;
}

async function backend(name: string): Promise<Backend> {
  const b = { name, port: 0, down: false } as Backend;
  const server = http.createServer((_req, res) => {
    res.statusCode = b.down ? 503 : 200;
    res.end(b.down ? 'down' : name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  b.port = (server.address() as net.AddressInfo).port;
  b.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return b;
}

const OUTLIER = '{ consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 120s, maxEjectionPercent: 100 }';

function endpoint(b: Backend, locality: string, labels = '{}'): string {
  return `    - { address: 127.0.0.1, ports: { http: ${b.port} }, locality: ${locality}, labels: ${labels} }`;
}

function service(name: string, port: number, endpoints: string[], trafficPolicy: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: default }
spec:
  hosts: [${name}.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${port}, name: http, protocol: HTTP }]
  endpoints:
${endpoints.join('\n')}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${name}, namespace: default }
spec:
  host: ${name}.test
  trafficPolicy: ${trafficPolicy}
`;
}

describe.skipIf(!existsSync(PILOT_BIN) || !existsSync(PROXY_BIN))(
  'localityLbSetting through strait-pilot',
  () => {
    let dir: string;
    let pilot: { proc: Proc; xds: string; http: string };
    let proxy: { proc: Proc; admin: number; dir: string };
    const b: Record<string, Backend> = {};
    const ports = { dist: 0, fail: 0, prio: 0 };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

    /** Who answered `n` requests to a service (503 bodies count as "down"). */
    async function tally(svc: keyof typeof ports, n: number): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const r = await get(ports[svc], `${svc}.test:${ports[svc]}`, '/', agent);
        const who = r.status === 200 ? r.body : `status ${r.status}`;
        out[who] = (out[who] ?? 0) + 1;
      }
      return out;
    }

    /** Sends until `name` answers (ejection and the pilot's push are asynchronous), then stops. */
    async function until(svc: keyof typeof ports, name: string): Promise<void> {
      await eventually(
        () => get(ports[svc], `${svc}.test:${ports[svc]}`, '/', agent),
        (r) => r.status === 200 && r.body === name,
        15_000,
        `${svc} served by ${name}`,
      );
    }

    beforeAll(async () => {
      dir = tempDir('xds-locality-');
      for (const n of ['a', 'b', 'c', 'local', 'd', 'e', 'f', 'g', 'k']) b[n] = await backend(n);
      ports.dist = await freePort();
      ports.fail = await freePort();
      ports.prio = await freePort();
      writeFileSync(
        join(dir, 'dist.yaml'),
        service(
          'dist',
          ports.dist,
          [endpoint(b['a']!, 'r1/z1/c1'), endpoint(b['b']!, 'r1/z2/c1'), endpoint(b['c']!, 'r2/z1/c1')],
          `{ loadBalancer: { localityLbSetting: { distribute: [{ from: "r1/z1/*", to: { "r1/z1/*": 80, "r1/z2/*": 20 } }] } } }`,
        ),
      );
      writeFileSync(
        join(dir, 'fail.yaml'),
        service(
          'fail',
          ports.fail,
          [endpoint(b['local']!, 'r1/z1/c1'), endpoint(b['d']!, 'r2/z1/c1'), endpoint(b['e']!, 'r3/z1/c1')],
          `{ outlierDetection: ${OUTLIER}, loadBalancer: { localityLbSetting: { failover: [{ from: r1, to: r3 }] } } }`,
        ),
      );
      writeFileSync(
        join(dir, 'prio.yaml'),
        service(
          'prio',
          ports.prio,
          [
            // Same network and pool as the proxy, but in another region.
            endpoint(b['f']!, 'r2/z1/c1', '{ topology.istio.io/network: n1, pool: blue }'),
            // The proxy's own locality, same network, other pool.
            endpoint(b['g']!, 'r1/z1/c1', '{ topology.istio.io/network: n1, pool: green }'),
            // The proxy's own locality and pool, other network.
            endpoint(b['k']!, 'r1/z1/c1', '{ topology.istio.io/network: n2, pool: blue }'),
          ],
          `{ outlierDetection: ${OUTLIER}, loadBalancer: { localityLbSetting: { failoverPriority: [topology.istio.io/network, pool] } } }`,
        ),
      );
      pilot = await startPilot(dir);
      proxy = await startProxy(
        adsBootstrap({
          xds: pilot.xds,
          variant: 'delta',
          metadata: { NAMESPACE: 'default', NETWORK: 'n1' },
          labels: { pool: 'blue' },
          locality: { region: 'r1', zone: 'z1', subZone: 'c1' },
        }),
        ['--interception', 'none'],
      );
      await waitReady(proxy.admin, 30_000);
      for (const svc of ['dist', 'fail', 'prio'] as const)
        await eventually(
          () => get(ports[svc], `${svc}.test:${ports[svc]}`, '/', agent),
          (r) => r.status === 200,
          20_000,
          `${svc} reachable`,
        );
    }, 90_000);

    afterAll(async () => {
      agent.destroy();
      await proxy?.proc.stop();
      await pilot?.proc.stop();
      await Promise.all(Object.values(b).map((x) => x.close()));
      for (const d of [dir, proxy?.dir]) if (d) rmSync(d, { recursive: true, force: true });
    });

    it('distribute: 80/20 over the listed localities, nothing to the unlisted one', async () => {
      const n = 500;
      const seen = await tally('dist', n);
      expect(seen['c'] ?? 0).toBe(0);
      expect((seen['a'] ?? 0) + (seen['b'] ?? 0)).toBe(n);
      // Binomial(500, 0.2) has a standard deviation of ~9: ±35 is about 4 of them.
      expect(seen['b'] ?? 0).toBeGreaterThanOrEqual(100 - 35);
      expect(seen['b'] ?? 0).toBeLessThanOrEqual(100 + 35);
    }, 60_000);

    it('failover: local first; when it is ejected, the configured region, not the other one', async () => {
      expect(await tally('fail', 50)).toEqual({ local: 50 });
      b['local']!.down = true;
      await until('fail', 'e');
      expect(await tally('fail', 50)).toEqual({ e: 50 });
      expect(
        (await get(proxy.admin, '127.0.0.1', '/stats')).body.match(
          /cluster\.outbound\|\d+\|\|fail\.test\.outlier_detection\.ejections_enforced_total: (\d+)/,
        )?.[1],
      ).toBe('1');
    }, 60_000);

    it('failoverPriority: network, then label, decide over locality', async () => {
      expect(await tally('prio', 50)).toEqual({ f: 50 });
      b['f']!.down = true;
      await until('prio', 'g');
      expect(await tally('prio', 30)).toEqual({ g: 30 });
      b['g']!.down = true;
      await until('prio', 'k');
      expect(await tally('prio', 30)).toEqual({ k: 30 });
    }, 60_000);
  },
);
