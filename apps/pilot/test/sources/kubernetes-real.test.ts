// Against a real kube-apiserver (@strait/kube-testing) with Istio's and Strait's CRDs installed: the
// pilot lists and watches the custom resources, the apiserver's own schema validation and ours both
// apply. Skipped when the harness's kube-apiserver binary has not been built on this machine (the
// build takes minutes; @strait/kube-testing's own tests build and cache it).
import { existsSync } from 'node:fs';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import {
  apiserverBinaryPath,
  installIstioCrds,
  installStraitCrds,
  KubeApiServer,
} from '@strait/kube-testing';
import type { Registry } from '@strait/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pilot } from '../../src/pilot.js';
import { openRegistries } from '../../src/sources/open-registries.js';
import { eventually } from '../helpers/echo-backends.js';

const HOST = 'orders.shop.svc.cluster.local';

function binaryBuilt(): boolean {
  try {
    return existsSync(apiserverBinaryPath());
  } catch {
    return false; // the harness's Go module is not usable on this checkout
  }
}

describe.skipIf(!binaryBuilt())('Kubernetes config source on a real kube-apiserver', () => {
  let server: KubeApiServer;
  let pilot: Pilot;
  let api: CustomObjectsApi;
  let registries: { list: Registry[]; close(): Promise<void> } | undefined;

  beforeAll(async () => {
    server = await KubeApiServer.start();
    await installIstioCrds(server, {
      kinds: ['VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar'],
    });
    await installStraitCrds(server);
    api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'default',
      plural: 'serviceentries',
      body: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'orders', namespace: 'default' },
        spec: {
          hosts: [HOST],
          resolution: 'STATIC',
          ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
          endpoints: [{ address: '10.2.0.1' }],
        },
      },
    });
    // What strait-pilot's bin does for --kubeconfig: the cluster's Services/EndpointSlices as a registry.
    registries = await openRegistries([
      `kubernetes://?kubeconfig=${encodeURIComponent(server.kubeconfigPath)}&pods=false`,
    ]);
    pilot = await Pilot.start({
      kubeconfig: server.kubeconfigPath,
      registries: registries?.list ?? [],
      registryDiscoverEveryMs: 200,
      xdsAddress: { host: '127.0.0.1', port: 0 },
      debounceAfterMs: 10,
    });
  }, 180_000);

  afterAll(async () => {
    await pilot?.close();
    await registries?.close();
    await server?.stop();
  });

  it('turns Services and EndpointSlices into services with endpoints', async () => {
    const kc = server.kubeConfig();
    await kc.makeApiClient(CoreV1Api).createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'cart' }, spec: { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] } },
    });
    await kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: 'default',
      body: {
        metadata: { name: 'cart-1', labels: { 'kubernetes.io/service-name': 'cart' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: [{ addresses: ['10.3.0.7'], conditions: { ready: true } }],
      },
    });
    const host = 'cart.default.svc.cluster.local';
    await eventually(
      () => (pilot.context().endpoints.get(host) ?? []).some((e) => e.address === '10.3.0.7'),
      20_000,
    );
    expect(
      pilot
        .context()
        .services.get(host)
        ?.ports.map((p) => p.number),
    ).toEqual([8080]);
  });

  it('serves what the cluster holds and follows changes', async () => {
    expect(pilot.context().services.has(HOST)).toBe(true);
    await api.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'default',
      plural: 'virtualservices',
      body: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'orders', namespace: 'default' },
        spec: { hosts: [HOST], http: [{ route: [{ destination: { host: HOST } }], timeout: '2s' }] },
      },
    });
    await eventually(() => pilot.context().virtualServices.length === 1, 20_000);
    await api.deleteNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'default',
      plural: 'serviceentries',
      name: 'orders',
    });
    await eventually(() => !pilot.context().services.has(HOST), 20_000);
  });
});
