// The Kubernetes backend reading what the EndpointSlice controller would write: a Service, Pods and
// EndpointSlices created through a real kube-apiserver, observed as a snapshot, then deltas.
import { CoreV1Api, DiscoveryV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { KubeApiServer, prepareApiserver } from '@strait/kube-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesRegistry } from '../../../src/backends/kubernetes/registry.js';
import { isRegistryError } from '../../../src/errors.js';
import { setup } from '../../../src/setup.js';
import type { Instance } from '../../../src/types.js';
import { openRegistry } from '../../../src/url.js';
import { WatchCursor } from '../../contract/watch-cursor.js';

const NS = 'shop';
const HOST = `reviews.${NS}.svc.cluster.local`;

const slice = (name: string, endpoints: V1EndpointSlice['endpoints']): V1EndpointSlice => ({
  metadata: {
    name,
    namespace: NS,
    labels: {
      'kubernetes.io/service-name': 'reviews',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    },
  },
  addressType: 'IPv4',
  endpoints,
  ports: [
    { name: 'http-web', port: 8080, protocol: 'TCP' },
    { name: 'rpc', port: 9090, protocol: 'TCP' },
  ],
});

const pod = (name: string, labels: Record<string, string>) => ({
  metadata: { name, namespace: NS, labels },
  spec: { containers: [{ name: 'app', image: 'registry.invalid/reviews:1' }] },
});

describe('kubernetes registry backend', () => {
  let server: KubeApiServer;
  let core: CoreV1Api;
  let discovery: DiscoveryV1Api;
  let registry: KubernetesRegistry;

  beforeAll(async () => {
    await prepareApiserver();
    server = await KubeApiServer.start();
    const kc = server.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    discovery = kc.makeApiClient(DiscoveryV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: 'reviews', namespace: NS },
        spec: {
          selector: { app: 'reviews' },
          ports: [
            { name: 'http-web', port: 80, targetPort: 8080 },
            // The slice port has no appProtocol: the Service's fills it in.
            { name: 'rpc', port: 90, targetPort: 9090, appProtocol: 'grpc' },
          ],
        },
      },
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: pod('reviews-v1-a', {
        app: 'reviews',
        version: 'v1',
        'topology.kubernetes.io/region': 'eu-west',
        'topology.istio.io/subzone': 'cell-a',
      }),
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: pod('reviews-v2-b', {
        app: 'reviews',
        version: 'v2',
        'istio-locality': 'eu-west.eu-west-1b.cell-b',
      }),
    });
    registry = new KubernetesRegistry({ kubeconfig: server.kubeconfigPath });
  }, 40 * 60_000);

  afterAll(async () => {
    await registry?.close();
    await server?.stop();
  });

  it('maps a Service and its EndpointSlices to instances: snapshot, update, add, delete', async () => {
    await discovery.createNamespacedEndpointSlice({
      namespace: NS,
      body: slice('reviews-abc', [
        {
          addresses: ['10.244.0.5'],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: 'node-a',
          zone: 'eu-west-1a',
          targetRef: { kind: 'Pod', name: 'reviews-v1-a', namespace: NS },
        },
        {
          addresses: ['10.244.1.7'],
          conditions: { ready: false, serving: true, terminating: true },
          targetRef: { kind: 'Pod', name: 'reviews-v2-b', namespace: NS },
        },
      ]),
    });
    const c = new WatchCursor(registry.watch(HOST));
    await c.until((x) => x.state.size === 4, 20_000, 'four instances');
    expect(c.events[0]?.type).toBe('snapshot');
    const http = c.state.get('10.244.0.5:8080') as Instance;
    expect(http).toMatchObject({
      service: HOST,
      address: '10.244.0.5',
      port: 8080,
      protocol: 'http',
      health: 'healthy',
      application: 'reviews',
      labels: { app: 'reviews', version: 'v1', zone: 'eu-west-1a', region: 'eu-west', cell: 'cell-a' },
      metadata: {
        'k8s.namespace': NS,
        'k8s.pod': 'reviews-v1-a',
        'k8s.node': 'node-a',
        'k8s.port': 'http-web',
      },
    });
    expect(c.state.get('10.244.0.5:9090')?.protocol).toBe('grpc');
    expect(c.state.get('10.244.1.7:8080')).toMatchObject({
      health: 'draining',
      labels: { version: 'v2', region: 'eu-west', zone: 'eu-west-1b', cell: 'cell-b' },
    });

    // The terminating pod becomes ready again: an update.
    const current = await discovery.readNamespacedEndpointSlice({ name: 'reviews-abc', namespace: NS });
    current.endpoints![1]!.conditions = { ready: true };
    await discovery.replaceNamespacedEndpointSlice({ name: 'reviews-abc', namespace: NS, body: current });
    await c.until((x) => x.state.get('10.244.1.7:8080')?.health === 'healthy', 20_000, 'ready again');

    // A second slice of the same Service: added instances.
    await discovery.createNamespacedEndpointSlice({
      namespace: NS,
      body: slice('reviews-def', [{ addresses: ['10.244.2.9'], conditions: { ready: false } }]),
    });
    await c.until((x) => x.state.size === 6, 20_000, 'six instances');
    expect(c.state.get('10.244.2.9:8080')?.health).toBe('unhealthy');
    expect(await registry.list(HOST)).toEqual([...c.state.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(await registry.services()).toContain(HOST);

    // A pod's labels change (a relabel, as a rollout tool might do): its instances follow.
    const p = await core.readNamespacedPod({ name: 'reviews-v1-a', namespace: NS });
    p.metadata!.labels = { ...p.metadata!.labels, version: 'v1-hotfix' };
    await core.replaceNamespacedPod({ name: 'reviews-v1-a', namespace: NS, body: p });
    await c.until(
      (x) => x.state.get('10.244.0.5:8080')?.labels['version'] === 'v1-hotfix',
      20_000,
      'relabel',
    );

    // Deleting the first slice removes its instances.
    await discovery.deleteNamespacedEndpointSlice({ name: 'reviews-abc', namespace: NS });
    await c.until((x) => x.ids().join() === '10.244.2.9:8080,10.244.2.9:9090', 20_000, 'first slice gone');
    const deltas = c.events.filter((e) => e.type === 'delta');
    expect(deltas.some((d) => d.type === 'delta' && d.removed.length > 0)).toBe(true);
    expect(deltas.some((d) => d.type === 'delta' && d.updated.length > 0)).toBe(true);
    c.watch.close();
  });

  it('registers an instance as an EndpointSlice that other clients read back', async () => {
    const reg = await registry.register({
      service: `ratings.${NS}.svc.cluster.local`,
      address: '10.1.2.3',
      port: 20880,
      protocol: 'dubbo',
      labels: { version: 'v3' },
      interfaces: ['org.example.Ratings'],
    });
    const slices = await discovery.listNamespacedEndpointSlice({
      namespace: NS,
      labelSelector: 'kubernetes.io/service-name=ratings',
    });
    expect(slices.items).toHaveLength(1);
    expect(slices.items[0]?.endpoints?.[0]?.addresses).toEqual(['10.1.2.3']);
    expect(slices.items[0]?.ports?.[0]).toMatchObject({ port: 20880, appProtocol: 'dubbo' });
    const other = new KubernetesRegistry({ kubeconfig: server.kubeconfigPath, namespace: NS });
    try {
      expect(await other.list('ratings')).toEqual([{ ...reg.instance, service: 'ratings' }]);
    } finally {
      await other.close();
    }
    await reg.deregister();
    expect(await registry.list(`ratings.${NS}.svc.cluster.local`)).toEqual([]);
  });

  it('rejects service names it cannot place in a namespace', async () => {
    const err = await registry
      .register({ service: 'a.b.c', address: '10.0.0.1', port: 80 })
      .catch((e: unknown) => e);
    expect(isRegistryError(err, 'REG_ERR_INVALID_INSTANCE')).toBe(true);
  });

  it('opens through openRegistry("kubernetes://?kubeconfig=...") after setup()', async () => {
    setup();
    const r = await openRegistry(
      `kubernetes://?kubeconfig=${encodeURIComponent(server.kubeconfigPath)}&namespace=${NS}`,
    );
    try {
      expect(r.kind).toBe('kubernetes');
      expect((await r.list('reviews')).map((i) => i.id)).toEqual(['10.244.2.9:8080', '10.244.2.9:9090']);
    } finally {
      await r.close();
    }
    // Without ?kubeconfig=, $KUBECONFIG names the file (as kubectl reads it).
    const saved = process.env['KUBECONFIG'];
    process.env['KUBECONFIG'] = server.kubeconfigPath;
    try {
      const fromEnv = await openRegistry(`kubernetes://?namespace=${NS}`);
      expect((await fromEnv.list('reviews')).length).toBe(2);
      await fromEnv.close();
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
    }
    const bad = await openRegistry('kubernetes://10.0.0.1:6443').catch((e: unknown) => e);
    expect(isRegistryError(bad, 'REG_ERR_INVALID_URL')).toBe(true);
    const typo = await openRegistry('kubernetes://?namespce=x').catch((e: unknown) => e);
    expect(isRegistryError(typo, 'REG_ERR_INVALID_URL')).toBe(true);
  });
});
