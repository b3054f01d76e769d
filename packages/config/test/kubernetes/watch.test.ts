// The Kubernetes config source against a real kube-apiserver with Istio's CRDs (from the istio.io/api
// module) and Strait's (deploy/crds) installed: objects created with the API reach the store validated;
// an update the apiserver accepts but Strait's validation rejects is reported and the last good version
// stays; fixing or deleting it is seen.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { installIstioCrds, installStraitCrds, KubeApiServer, prepareApiserver } from '@strait/kube-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualService } from '../../src/kinds/index.js';
import { type KubernetesConfigUpdate, watchKubernetesConfig } from '../../src/kubernetes/index.js';
import { ConfigStore } from '../../src/store.js';

const NS = 'bookinfo';
const ISTIO = { group: 'networking.istio.io', version: 'v1' };
const STRAIT = { group: 'mesh.strait.io', version: 'v1alpha1' };

const virtualService = (weights: [number, number]) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: NS },
  spec: {
    hosts: ['reviews'],
    http: [
      {
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: weights[0] },
          { destination: { host: 'reviews', subset: 'v2' }, weight: weights[1] },
        ],
      },
    ],
  },
});

const rpcRoute = (iface: string) => ({
  apiVersion: 'mesh.strait.io/v1alpha1',
  kind: 'RpcRoute',
  metadata: { name: 'greeter', namespace: NS },
  spec: {
    service: { interface: iface },
    routes: [
      {
        match: [{ method: { name: { exact: 'sayHello' }, args: [{ index: 0, exact: 'vip' }] } }],
        route: [{ destination: { host: 'greeter', subset: 'gold' } }],
      },
      { route: [{ destination: { host: 'greeter' } }] },
    ],
  },
});

const summary = (u: KubernetesConfigUpdate) => ({
  changes: u.changes.map((c) => `${c.type} ${c.kind}/${c.name}`),
  rejected: u.rejected.map((r) => `${r.kind}/${r.name}: ${r.errors.map((e) => e.message).join('; ')}`),
});

/**
 * Resolves with the first update so far or later that satisfies `pred` (so far included: an event can
 * land while the test still awaits the API call that caused it).
 */
function nextUpdate(
  updates: KubernetesConfigUpdate[],
  pred: (u: KubernetesConfigUpdate) => boolean,
  timeoutMs = 20_000,
): Promise<KubernetesConfigUpdate> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const hit = updates.find(pred);
      if (hit) resolve(hit);
      else if (Date.now() > deadline)
        reject(
          new Error(`no matching update in ${timeoutMs} ms; got ${JSON.stringify(updates.map(summary))}`),
        );
      else setTimeout(tick, 50);
    };
    tick();
  });
}

describe('watchKubernetesConfig', () => {
  let server: KubeApiServer;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    // Strait's CRD is installed by the first test, after it watched the kind without one.
    await prepareApiserver();
    server = await KubeApiServer.start();
    await installIstioCrds(server, {
      kinds: ['VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar'],
    });
    const kc = server.kubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  }, 40 * 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('is ready while a kind has no CRD, and picks the kind up once its CRD is installed', async () => {
    const updates: KubernetesConfigUpdate[] = [];
    const watcher = watchKubernetesConfig({
      kubeconfig: server.kubeconfigPath,
      kinds: ['RpcRoute', 'Sidecar'],
      onUpdate: (u) => updates.push(u),
    });
    try {
      const ready = await watcher.ready;
      expect(ready.absentKinds).toEqual(['RpcRoute']);
      expect(ready.objects).toEqual([]);
      await installStraitCrds(server);
      await custom.createNamespacedCustomObject({
        ...STRAIT,
        namespace: NS,
        plural: 'rpcroutes',
        body: { ...rpcRoute('org.example.Early'), metadata: { name: 'early', namespace: NS } },
      });
      await nextUpdate(updates, (u) => u.changes.some((c) => c.name === 'early'), 30_000);
      expect(watcher.store.get('RpcRoute', NS, 'early')?.spec.service.interface).toBe('org.example.Early');
      await custom.deleteNamespacedCustomObject({
        ...STRAIT,
        namespace: NS,
        plural: 'rpcroutes',
        name: 'early',
      });
    } finally {
      await watcher.close();
    }
  });

  it('feeds the store, rejects invalid updates keeping the last good version, and follows deletes', async () => {
    await custom.createNamespacedCustomObject({
      ...ISTIO,
      namespace: NS,
      plural: 'virtualservices',
      body: virtualService([80, 20]),
    });
    await custom.createNamespacedCustomObject({
      ...STRAIT,
      namespace: NS,
      plural: 'rpcroutes',
      body: rpcRoute('org.example.Greeter'),
    });

    const store = new ConfigStore();
    const updates: KubernetesConfigUpdate[] = [];
    const watcher = watchKubernetesConfig({
      kubeconfig: server.kubeconfigPath,
      store,
      onUpdate: (u) => updates.push(u),
    });
    try {
      const first = await watcher.ready;
      expect(first.absentKinds).toEqual([]);
      expect(store.list().map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
        'RpcRoute/greeter',
        'VirtualService/reviews',
      ]);
      const vs = store.get('VirtualService', NS, 'reviews') as VirtualService;
      expect(vs.spec.http?.[0]?.route?.map((r) => r.weight)).toEqual([80, 20]);
      // Server bookkeeping does not reach the store.
      expect(vs.metadata).not.toHaveProperty('managedFields');
      expect(vs.metadata).not.toHaveProperty('resourceVersion');

      // The apiserver accepts two destinations that both weigh 0; Strait's validation (as istiod's)
      // does not: the split would send traffic nowhere.
      await custom.replaceNamespacedCustomObject({
        ...ISTIO,
        namespace: NS,
        plural: 'virtualservices',
        name: 'reviews',
        body: {
          ...virtualService([0, 0]),
          metadata: {
            ...virtualService([0, 0]).metadata,
            resourceVersion: (
              (await custom.getNamespacedCustomObject({
                ...ISTIO,
                namespace: NS,
                plural: 'virtualservices',
                name: 'reviews',
              })) as {
                metadata: { resourceVersion: string };
              }
            ).metadata.resourceVersion,
          },
        },
      });
      const bad = await nextUpdate(updates, (u) => u.rejected.length > 0);
      expect(bad.rejected[0]).toMatchObject({ kind: 'VirtualService', namespace: NS, name: 'reviews' });
      expect(bad.rejected[0]?.errors[0]).toMatchObject({
        code: 'CFG_ERR_WEIGHT_SUM',
        path: 'spec.http[0].route',
      });
      expect(bad.rejected[0]?.source.file).toMatch(/^kubernetes:VirtualService\/bookinfo\/reviews@/);
      expect(bad.stale).toEqual([{ kind: 'VirtualService', namespace: NS, name: 'reviews' }]);
      const kept = store.get('VirtualService', NS, 'reviews') as VirtualService;
      expect(kept.spec.http?.[0]?.route?.map((r) => r.weight)).toEqual([80, 20]);

      // Fixing it is an update; the rejection clears. Weights are relative, so 30/30 is valid.
      await custom.patchNamespacedCustomObject({
        ...ISTIO,
        namespace: NS,
        plural: 'virtualservices',
        name: 'reviews',
        body: [
          { op: 'replace', path: '/spec/http/0/route/0/weight', value: 30 },
          { op: 'replace', path: '/spec/http/0/route/1/weight', value: 30 },
        ],
      });
      await nextUpdate(updates, (u) =>
        u.changes.some((c) => c.type === 'updated' && c.kind === 'VirtualService'),
      );
      expect(
        (store.get('VirtualService', NS, 'reviews') as VirtualService).spec.http?.[0]?.route?.map(
          (r) => r.weight,
        ),
      ).toEqual([30, 30]);
      expect(store.rejected()).toEqual([]);

      // An object invalid from the start never enters the store.
      await custom.createNamespacedCustomObject({
        ...STRAIT,
        namespace: NS,
        plural: 'rpcroutes',
        body: { ...rpcRoute('not a class name'), metadata: { name: 'broken', namespace: NS } },
      });
      const broken = await nextUpdate(updates, (u) => u.rejected.some((r) => r.name === 'broken'));
      expect(broken.rejected.find((r) => r.name === 'broken')?.errors[0]?.path).toBe(
        'spec.service.interface',
      );
      expect(store.get('RpcRoute', NS, 'broken')).toBeUndefined();

      // Deletes reach the store.
      await custom.deleteNamespacedCustomObject({
        ...STRAIT,
        namespace: NS,
        plural: 'rpcroutes',
        name: 'greeter',
      });
      await nextUpdate(updates, (u) => u.changes.some((c) => c.type === 'deleted' && c.name === 'greeter'));
      expect(store.get('RpcRoute', NS, 'greeter')).toBeUndefined();
    } finally {
      await watcher.close();
    }
  });

  it('throws at once for a kubeconfig file that cannot be read', () => {
    expect(() => watchKubernetesConfig({ kubeconfig: '/nonexistent/kubeconfig' })).toThrow(/ENOENT/);
  });
});
