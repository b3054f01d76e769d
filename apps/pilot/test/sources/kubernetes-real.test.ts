// Against a real kube-apiserver (@strait/kube-testing) with Istio's and Strait's CRDs installed: the
// pilot lists and watches the custom resources, the apiserver's own schema validation and ours both
// apply. Skipped when the harness's kube-apiserver binary has not been built on this machine (the
// build takes minutes; @strait/kube-testing's own tests build and cache it).
import { existsSync } from 'node:fs';
import { CustomObjectsApi } from '@kubernetes/client-node';
import {
  apiserverBinaryPath,
  installIstioCrds,
  installStraitCrds,
  KubeApiServer,
} from '@strait/kube-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pilot } from '../../src/pilot.js';
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
    pilot = await Pilot.start({
      kubeconfig: server.kubeconfigPath,
      xdsAddress: { host: '127.0.0.1', port: 0 },
      debounceAfterMs: 10,
    });
  }, 180_000);

  afterAll(async () => {
    await pilot?.close();
    await server?.stop();
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
