// The real @grpc/grpc-js-xds client (proxyless gRPC) against the pilot: real grpc-js servers as
// backends registered in the embedded registry, Istio config from a watched directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { InProcessRegistry, MemoryStore, type Registration } from '@strait/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pilot } from '../src/pilot.js';
import { type EchoBackend, eventually, startEchoBackend, tally, who } from './helpers/echo-backends.js';

const HOST = 'echo.test.svc.cluster.local';
const TARGET = `xds:///${HOST}:7070`;

const serviceYaml = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: echo, namespace: test }
spec:
  hosts: [${HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: { labels: { app: echo } }
  ports: [{ number: 7070, name: grpc, protocol: GRPC }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: echo, namespace: test }
spec:
  host: ${HOST}
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`;

const routeYaml = (v1: number, v2: number) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: echo, namespace: test }
spec:
  hosts: [${HOST}]
  http:
    - name: chaos
      match: [{ headers: { x-chaos: { exact: abort } } }]
      fault: { abort: { grpcStatus: RESOURCE_EXHAUSTED, percentage: { value: 100 } } }
      route: [{ destination: { host: ${HOST}, subset: v1 } }]
    - name: canary
      match: [{ headers: { x-canary: { exact: "yes" } } }]
      route: [{ destination: { host: ${HOST}, subset: v2 } }]
    - name: split
      route:
        - { destination: { host: ${HOST}, subset: v1 }, weight: ${v1} }
        - { destination: { host: ${HOST}, subset: v2 }, weight: ${v2} }
`;

describe('interop with @grpc/grpc-js-xds', () => {
  let dir: string;
  let pilot: Pilot;
  let registry: InProcessRegistry;
  let a: EchoBackend;
  let b: EchoBackend;
  let c: EchoBackend;
  let client: grpc.Client;
  const regs: Registration[] = [];

  beforeAll(async () => {
    grpcXds.register();
    dir = mkdtempSync(join(tmpdir(), 'pilot-interop-'));
    writeFileSync(join(dir, 'service.yaml'), serviceYaml);
    writeFileSync(join(dir, 'route.yaml'), routeYaml(80, 20));
    [a, b, c] = await Promise.all([
      startEchoBackend('a-v1'),
      startEchoBackend('b-v2'),
      startEchoBackend('c-v1'),
    ]);
    registry = new InProcessRegistry(new MemoryStore());
    regs.push(
      await registry.register({
        service: HOST,
        address: '127.0.0.1',
        port: a.port,
        protocol: 'grpc',
        labels: { app: 'echo', version: 'v1' },
      }),
    );
    regs.push(
      await registry.register({
        service: HOST,
        address: '127.0.0.1',
        port: b.port,
        protocol: 'grpc',
        labels: { app: 'echo', version: 'v2' },
      }),
    );
    pilot = await Pilot.start({
      configDir: dir,
      registries: [registry],
      xdsAddress: { host: '127.0.0.1', port: 0 },
      debounceAfterMs: 20,
      debounceMaxMs: 500,
      registryDiscoverEveryMs: 200,
    });
    const bootstrap = {
      xds_servers: [
        { server_uri: pilot.xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
      ],
      // grpc-js-xds needs a locality in the node, or it fails with an obscure template error.
      node: {
        id: 'grpc~127.0.0.1~client.test~test.svc.cluster.local',
        locality: {},
        metadata: { GENERATOR: 'grpc', NAMESPACE: 'test' },
      },
    };
    client = new grpc.Client(TARGET, grpc.credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap),
    });
  });

  afterAll(async () => {
    client?.close();
    await pilot?.close();
    await registry?.close();
    await Promise.all([a, b, c].filter(Boolean).map((x) => x.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes a first call through listener, route, cluster and endpoints from the pilot', async () => {
    await eventually(async () => ['a-v1', 'b-v2'].includes(await who(client)), 15_000);
    expect(pilot.metrics.get('pilot_xds')).toBe(1);
  });

  it('splits traffic by VirtualService weights (80/20)', async () => {
    const counts = await tally(client, 300);
    const v1 = (counts.get('a-v1') ?? 0) / 300;
    expect(v1).toBeGreaterThan(0.68);
    expect(v1).toBeLessThan(0.92);
    expect(counts.get('b-v2') ?? 0).toBeGreaterThan(0);
  });

  it('routes by header match', async () => {
    const counts = await tally(client, 40, { 'x-canary': 'yes' });
    expect(counts.get('b-v2')).toBe(40);
  });

  it('injects the VirtualService fault (gRPC abort) for matching calls only', async () => {
    await expect(who(client, { 'x-chaos': 'abort' })).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
    });
    expect(['a-v1', 'b-v2']).toContain(await who(client));
  });

  it('shifts traffic when a new VirtualService lands in the config directory', async () => {
    writeFileSync(join(dir, 'route.yaml'), routeYaml(0, 100));
    await eventually(async () => (await tally(client, 20)).get('b-v2') === 20, 15_000);
    writeFileSync(join(dir, 'route.yaml'), routeYaml(100, 0));
    await eventually(async () => (await tally(client, 20)).get('a-v1') === 20, 15_000);
  });

  it('splits 30/30 evenly: Istio weights are relative, not percentages', async () => {
    writeFileSync(join(dir, 'route.yaml'), routeYaml(30, 30));
    await eventually(async () => {
      const seen = await tally(client, 40);
      return (seen.get('a-v1') ?? 0) > 8 && (seen.get('b-v2') ?? 0) > 8;
    }, 15_000);
    expect(pilot.metrics.get('pilot_total_rejected_configs')).toBe(0);
    const counts = await tally(client, 400);
    const v1 = (counts.get('a-v1') ?? 0) / 400;
    // 400 draws of a fair coin: 0.38..0.62 is more than 4.5 standard deviations either side.
    expect(v1).toBeGreaterThan(0.38);
    expect(v1).toBeLessThan(0.62);
    writeFileSync(join(dir, 'route.yaml'), routeYaml(100, 0));
    await eventually(async () => (await tally(client, 20)).get('a-v1') === 20, 15_000);
  });

  it('sends calls to an endpoint once it registers and stops after it deregisters', async () => {
    const reg = await registry.register({
      service: HOST,
      address: '127.0.0.1',
      port: c.port,
      protocol: 'grpc',
      labels: { app: 'echo', version: 'v1' },
    });
    await eventually(async () => ((await tally(client, 20)).get('c-v1') ?? 0) > 0, 15_000);
    await reg.deregister();
    await eventually(async () => (await tally(client, 10)).get('c-v1') === undefined, 15_000);
    const before = c.calls;
    await tally(client, 30);
    expect(c.calls).toBe(before);
  });

  it('keeps the last good config when a bad VirtualService lands, and reports it', async () => {
    // Still invalid under Istio 1.15+'s relative weights: a negative weight.
    writeFileSync(join(dir, 'route.yaml'), routeYaml(-10, 0));
    await eventually(() => pilot.metrics.get('pilot_total_rejected_configs') > 0, 15_000);
    const counts = await tally(client, 20);
    expect(counts.get('a-v1')).toBe(20);
    const configz = (
      pilot as unknown as {
        configz(): { rejected: { file: string; object: string; field: string; reason: string }[] };
      }
    ).configz();
    expect(configz.rejected[0]).toMatchObject({ object: 'VirtualService/test/echo' });
    expect(configz.rejected[0]!.file).toMatch(/route\.yaml$/);
    expect(configz.rejected[0]!.field).toBe('spec.http[2].route[0].weight');
    expect(configz.rejected[0]!.reason).toMatch(/-10 is negative/);
  });

  it('shows the proxyless client on /debug/syncz with every type acknowledged', async () => {
    await eventually(() => {
      const sync = (
        pilot as unknown as {
          syncz(): {
            proxyType: string;
            types: Record<string, { synced: boolean; lastAckedNonce: string }>;
          }[];
        }
      ).syncz();
      const c = sync[0];
      return (
        c?.proxyType === 'grpc' &&
        ['lds', 'rds', 'cds', 'eds'].every(
          (t) => c.types[t]?.synced === true && c.types[t]?.lastAckedNonce !== '',
        )
      );
    }, 5000);
  });
});
