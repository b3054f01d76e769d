// Scale-out: the pilot serves LDS/RDS/CDS only, clusters are `strait.clusters.registry`, and the proxy
// reads endpoints straight from a networked strait-registry. Adding and removing an instance moves
// traffic with no xDS push at all.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRegistry, type Registration, type Registry, setup } from '@strait/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adsBootstrap,
  eventually,
  freePort,
  get,
  PILOT_BIN,
  PROXY_BIN,
  type Proc,
  REGISTRY_BIN,
  run,
  startPilot,
  startProxy,
  tempDir,
  type Upstream,
  upstream,
  waitReady,
} from './helpers.js';

const stat = (text: string, name: string) =>
  Number(new RegExp(`^${name.replaceAll('.', '\\.')}: (\\d+)$`, 'm').exec(text)?.[1] ?? 'NaN');

describe.skipIf(!existsSync(PILOT_BIN) || !existsSync(PROXY_BIN) || !existsSync(REGISTRY_BIN))(
  'scale-out: endpoints from the registry, not EDS',
  () => {
    let dir: string;
    let regDir: string;
    let registryProc: Proc;
    let registryUrl: string;
    let client: Registry;
    let a: Upstream;
    let b: Upstream;
    let webPort: number;
    let pilot: { proc: Proc; xds: string; http: string };
    let proxy: { proc: Proc; admin: number; dir: string };
    let regA: Registration;

    beforeAll(async () => {
      dir = tempDir('xds-scale-');
      regDir = tempDir('xds-registry-');
      [a, b] = await Promise.all([upstream('a'), upstream('b')]);
      webPort = await freePort();
      registryProc = run(REGISTRY_BIN, ['--data-dir', regDir, '--address', '127.0.0.1:0']);
      const addr = (await registryProc.waitFor(/strait-registry listening on (\S+)/))[1]!;
      registryUrl = `embedded://${addr}`;
      setup();
      client = await openRegistry(registryUrl);
      regA = await client.register({
        service: 'web.test',
        address: '127.0.0.1',
        port: a.port,
        protocol: 'http',
        id: 'a',
      });
      writeFileSync(
        join(dir, 'web.yaml'),
        `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: web, namespace: default }
spec:
  hosts: [web.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${webPort}, name: http, protocol: HTTP }]
`,
      );
      pilot = await startPilot(dir, '127.0.0.1:0', [
        '--architecture',
        'scale-out',
        '--registry',
        `${registryUrl}#main`,
      ]);
      proxy = await startProxy(adsBootstrap({ xds: pilot.xds, variant: 'delta' }), [
        '--interception',
        'none',
        '--registry',
        `${registryUrl}#main`,
      ]);
      await waitReady(proxy.admin, 30_000);
    }, 90_000);

    afterAll(async () => {
      await proxy?.proc.stop();
      await pilot?.proc.stop();
      await client?.close();
      await registryProc?.stop();
      await Promise.all([a?.close(), b?.close()]);
      for (const d of [dir, regDir, proxy?.dir]) if (d) rmSync(d, { recursive: true, force: true });
    });

    it('routes to registry instances and follows adds and removes without an xDS push', async () => {
      const r = await eventually(
        () => get(webPort, `web.test:${webPort}`, '/x'),
        (x) => x.status === 200,
        20_000,
        'traffic to the registry instance',
      );
      expect(r.body).toBe('a /x');
      const stats = async () => (await get(proxy.admin, '127.0.0.1', '/stats')).body;
      const s0 = await stats();
      expect(stat(s0, 'cluster_manager.eds.update_attempt')).toBe(0);
      const cds0 = stat(s0, 'cluster_manager.cds.update_attempt');
      const lds0 = stat(s0, 'listener_manager.lds.update_attempt');

      await client.register({
        service: 'web.test',
        address: '127.0.0.1',
        port: b.port,
        protocol: 'http',
        id: 'b',
      });
      await regA.deregister();
      await eventually(
        () => get(webPort, `web.test:${webPort}`, '/y'),
        (x) => x.body === 'b /y',
        15_000,
        'traffic moved to the new instance',
      );
      for (let i = 0; i < 5; i++) expect((await get(webPort, `web.test:${webPort}`, '/z')).body).toBe('b /z');
      const s1 = await stats();
      expect(stat(s1, 'cluster_manager.eds.update_attempt')).toBe(0);
      expect(stat(s1, 'cluster_manager.cds.update_attempt')).toBe(cds0);
      expect(stat(s1, 'listener_manager.lds.update_attempt')).toBe(lds0);
      expect(stat(s1, 'registry_clusters.deltas')).toBeGreaterThan(0);
    }, 60_000);
  },
);
