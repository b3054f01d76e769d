// The three architectures: three-in-one serves EDS; scale-out serves no EDS and points clusters at the
// registry (cluster_type strait.clusters.registry); colocated serves one proxy over a Unix socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pilot } from '../src/pilot.js';
import { baseConfig, REVIEWS, seededRegistry } from './helpers/scenario.js';
import { CDS, decodeAny, EDS, node, XdsTestClient } from './helpers/xds-client.js';

const sidecar = node('sidecar~10.0.9.9~productpage.default~default.svc.cluster.local', {
  NAMESPACE: 'default',
});

describe('architectures', () => {
  it('scale-out: clusters name the registry cluster type and no endpoints are served', async () => {
    const registry = await seededRegistry();
    const pilot = await Pilot.start({
      config: baseConfig(),
      registries: [registry],
      architecture: 'scale-out',
      registryName: 'zk-main',
      xdsAddress: { host: '127.0.0.1', port: 0 },
    });
    const client = new XdsTestClient(pilot.xdsAddress);
    try {
      const s = client.sotw();
      s.send({ node: sidecar, typeUrl: CDS });
      const cds = await s.next();
      const cluster = cds.resources
        .map((r) => decodeAny(CDS, r))
        .find((c) => c.name === `outbound|9080|v1|${REVIEWS}`)!;
      expect(cluster.clusterType?.name).toBe('strait.clusters.registry');
      expect(cluster.clusterType?.typedConfig?.type_url).toBe(
        'type.googleapis.com/strait.clusters.registry.v1alpha1.RegistryCluster',
      );
      expect(cluster.edsClusterConfig).toBeFalsy();
      s.send({ typeUrl: EDS, resourceNames: [cluster.name] });
      const eds = await s.next();
      expect(eds.resources).toHaveLength(0);
      s.end();
    } finally {
      client.close();
      await pilot.close();
      await registry.close();
    }
  });

  it('colocated: serves its proxy over a Unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-uds-'));
    const socket = join(dir, 'xds.sock');
    const pilot = await Pilot.start({
      config: baseConfig(),
      architecture: 'colocated',
      xdsUnixSocket: socket,
    });
    const client = new XdsTestClient(`unix://${socket}`);
    try {
      expect(pilot.xdsAddress).toBe('');
      const s = client.sotw();
      s.send({ node: sidecar, typeUrl: CDS });
      const cds = await s.next();
      expect(cds.resources.length).toBeGreaterThan(3);
      // Another pod's proxy is refused; the same proxy reconnecting (hot upgrade) is not.
      const other = client.sotw();
      other.send({ node: node('sidecar~10.0.9.8~other.default~default.svc.cluster.local'), typeUrl: CDS });
      await other.closed;
      expect(other.status?.code).toBe(9);
      expect(other.status?.details).toMatch(/serves one proxy/);
      const again = client.sotw();
      again.send({ node: sidecar, typeUrl: CDS });
      expect((await again.next()).typeUrl).toBe(CDS);
      again.end();
      s.end();
    } finally {
      client.close();
      await pilot.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
