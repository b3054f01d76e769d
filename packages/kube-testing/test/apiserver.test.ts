// The harness against itself: a real kube-apiserver + etcd come up, serve the admin through the written
// kubeconfig with verified TLS, install Istio's and Strait's CRDs, and go away without leftovers.
import { existsSync } from 'node:fs';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installIstioCrds,
  installStraitCrds,
  istioCrdFile,
  KubeApiServer,
  prepareApiserver,
  readCrds,
} from '../src/index.js';

describe('KubeApiServer', () => {
  let server: KubeApiServer;

  beforeAll(async () => {
    await prepareApiserver();
    server = await KubeApiServer.start();
  }, 40 * 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the API to the kubeconfig admin over verified TLS', async () => {
    const core = server.kubeConfig().makeApiClient(CoreV1Api);
    const ns = await core.readNamespace({ name: 'default' });
    expect(ns.metadata?.name).toBe('default');
    const anonymous = await fetch(`${server.url}/api/v1/namespaces`).catch((e: unknown) => e);
    // Node's fetch does not trust the self-signed CA: TLS verification is really on.
    expect(anonymous).toBeInstanceOf(Error);
  });

  it('installs Istio CRDs from the istio.io/api module and Strait CRDs from deploy/crds', async () => {
    const file = await istioCrdFile();
    expect(readCrds(file, { groups: ['networking.istio.io'] }).map((c) => c.spec.names.kind)).toEqual(
      expect.arrayContaining(['VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar']),
    );
    await installIstioCrds(server, {
      kinds: ['VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar'],
    });
    await installStraitCrds(server);
    for (const path of [
      '/apis/networking.istio.io/v1/virtualservices',
      '/apis/networking.istio.io/v1/sidecars',
      '/apis/mesh.strait.io/v1alpha1/rpcroutes',
    ])
      expect((await server.get(path)).status).toBe(200);
  });

  it('stops both processes and removes its directory', async () => {
    const extra = await KubeApiServer.start();
    const dir = extra.dir;
    expect(existsSync(extra.kubeconfigPath)).toBe(true);
    await extra.stop();
    expect(existsSync(dir)).toBe(false);
    expect((await extra.get('/readyz')).status).toBe(0);
  }, 180_000);
});
