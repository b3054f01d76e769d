// The shared Registry contract against a real kube-apiserver (+ etcd), built by @strait/kube-testing.
//
// Registering here means writing an EndpointSlice (one per instance) whose liveness is a Lease the
// client renews; a crash is a client that stops renewing (abandon()). The apiserver runs without its
// watch cache so that a watch resumed from a resourceVersion older than an etcd compaction gets 410
// Gone, which is how a watcher "misses history" in Kubernetes: the informer re-lists and the registry
// hands out a resync.
import { KubeApiServer, prepareApiserver } from '@strait/kube-testing';
import { KubernetesRegistry } from '../../../src/backends/kubernetes/registry.js';
import type { Registry } from '../../../src/types.js';
import { registryContract } from '../../contract/registry-contract.js';

// The contract's own beforeAll has the default hook timeout; a cold kube-apiserver build takes longer,
// so it happens here, while the file is collected.
await prepareApiserver();

registryContract('kubernetes', async () => {
  const server = await KubeApiServer.start({ watchCache: false });
  return {
    open: async () =>
      new KubernetesRegistry({
        kubeconfig: server.kubeconfigPath,
        namespace: 'default',
        sessionTtlMs: 2_000,
      }),
    shortLiveness: { kind: 'ttl', ttlMs: 2_000 },
    crash: async (r: Registry) => (r as KubernetesRegistry).abandon(),
    induceGap: async (watcher: Registry, mutate: () => Promise<void>) => {
      const k = watcher as KubernetesRegistry;
      await k.pauseWatch();
      await mutate();
      await server.compactEtcd();
      k.resumeWatch();
    },
    close: () => server.stop(),
    timeoutMs: 15_000,
  };
});
