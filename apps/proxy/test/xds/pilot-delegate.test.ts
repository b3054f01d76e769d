// VirtualService delegation end to end: the real strait-pilot merges a root VirtualService with its
// delegate (a VirtualService without hosts, in another namespace), the real strait-proxy routes by the
// result; a root route naming a missing delegate is dropped, logged and listed on /debug/configz; a
// delegate that appears later takes effect on the next push.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
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
  type Upstream,
  upstream,
  waitReady,
} from './helpers.js';

function services(webPort: number, v1: number, v2: number, admin: number): string {
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
metadata: { name: admin, namespace: team }
spec:
  hosts: [admin.team.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${webPort}, name: http, protocol: HTTP }]
  endpoints: [{ address: 127.0.0.1, ports: { http: ${admin} } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: default }
spec:
  host: web.test
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [web.test]
  http:
    - name: api
      match: [{ uri: { prefix: /api } }]
      headers: { response: { set: { x-root: api } } }
      delegate: { name: api, namespace: team }
    - name: later
      match: [{ uri: { prefix: /later } }]
      delegate: { name: later, namespace: team }
    - name: rest
      route: [{ destination: { host: web.test, subset: v1 } }]
`;
}

// The delegate lives in another namespace: its short host "admin" resolves there.
const apiDelegate = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api, namespace: team }
spec:
  http:
    - name: v2
      match: [{ uri: { prefix: /api/v2 } }]
      route: [{ destination: { host: web.test, subset: v2 } }]
    - name: admin
      match: [{ uri: { prefix: /api/admin } }]
      route: [{ destination: { host: admin } }]
    - name: default
      route: [{ destination: { host: web.test, subset: v1 } }]
`;

const laterDelegate = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: later, namespace: team }
spec:
  http:
    - route: [{ destination: { host: web.test, subset: v2 } }]
`;

describe.skipIf(!existsSync(PILOT_BIN) || !existsSync(PROXY_BIN))(
  'VirtualService delegation through strait-pilot and strait-proxy',
  () => {
    let dir: string;
    let v1: Upstream;
    let v2: Upstream;
    let admin: Upstream;
    let webPort: number;
    let pilot: { proc: Proc; xds: string; http: string };
    let proxy: { proc: Proc; admin: number; dir: string };
    const call = (path: string) => get(webPort, `web.test:${webPort}`, path);

    beforeAll(async () => {
      dir = tempDir('xds-delegate-');
      [v1, v2, admin] = await Promise.all([upstream('v1'), upstream('v2'), upstream('admin')]);
      webPort = await freePort();
      writeFileSync(join(dir, 'services.yaml'), services(webPort, v1.port, v2.port, admin.port));
      writeFileSync(join(dir, 'api.yaml'), apiDelegate);
      pilot = await startPilot(dir);
      proxy = await startProxy(adsBootstrap({ xds: pilot.xds, variant: 'sotw' }), ['--interception', 'none']);
      await waitReady(proxy.admin);
      await eventually(
        () => call('/ready'),
        (x) => x.status === 200,
        15_000,
        'pilot-configured listener',
      );
    }, 60_000);

    afterAll(async () => {
      await proxy?.proc.stop();
      await pilot?.proc.stop();
      await Promise.all([v1?.close(), v2?.close(), admin?.close()]);
      rmSync(dir, { recursive: true, force: true });
      if (proxy) rmSync(proxy.dir, { recursive: true, force: true });
    });

    it("routes by the delegate's routes under the root's match", async () => {
      expect((await call('/api/v2/items')).body).toBe('v2 /api/v2/items');
      expect((await call('/api/admin/users')).body).toBe('admin /api/admin/users');
      expect((await call('/api/other')).body).toBe('v1 /api/other');
      expect((await call('/home')).body).toBe('v1 /home');
    });

    it("applies the root route's fields the delegate leaves unset", async () => {
      const headers = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
        http
          .get(
            {
              host: '127.0.0.1',
              port: webPort,
              path: '/api/v2/x',
              headers: { host: `web.test:${webPort}` },
              agent: false,
            },
            (res) => {
              res.resume();
              resolve(res.headers);
            },
          )
          .on('error', reject);
      });
      expect(headers['x-root']).toBe('api');
    });

    it('drops a route whose delegate is missing, reports it, and applies the delegate once it exists', async () => {
      // No delegate yet: /later falls through to the root's last route.
      expect((await call('/later/x')).body).toBe('v1 /later/x');
      const configz = JSON.parse(
        (await get(Number(pilot.http.split(':')[1]), '127.0.0.1', '/debug/configz')).body,
      ) as {
        delegation: { root: string; route: string; delegate: string; reason: string }[];
      };
      expect(configz.delegation).toEqual([
        {
          root: 'default/web',
          route: 'spec.http[1]',
          delegate: 'team/later',
          reason: expect.stringContaining('not found'),
        },
      ]);
      expect(pilot.proc.output()).toMatch(/warn VirtualService delegation problem .*delegate=team\/later/);
      writeFileSync(join(dir, 'later.yaml'), laterDelegate);
      const r = await eventually(
        () => call('/later/x'),
        (x) => x.body === 'v2 /later/x',
        15_000,
        'delegate applied',
      );
      expect(r.status).toBe(200);
    });
  },
);
