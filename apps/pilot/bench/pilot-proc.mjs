// The pilot under test, in its own process so its CPU time and peak RSS are its own. Driven over IPC
// by convergence.bench.mjs: it seeds the embedded registry with M services x E endpoints, serves xDS,
// and applies endpoint changes on request.
import { InProcessRegistry, MemoryStore } from '@strait/registry';
import { Pilot } from '../dist/index.js';

const {
  services,
  endpoints,
  debounceAfterMs,
  dependencies = 0,
  groups = 0,
  shared = 0,
} = JSON.parse(process.argv[2]);
const host = (i) => `svc-${i}.bench.svc.cluster.local`;
const registry = new InProcessRegistry(new MemoryStore(), { defaultTtlMs: 600_000, sessionTtlMs: 600_000 });
const config = [];
const registrations = [];
for (let i = 0; i < services; i++) {
  config.push({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: `svc-${i}`, namespace: 'bench' },
    spec: {
      hosts: [host(i)],
      resolution: 'STATIC',
      workloadSelector: { labels: { app: `svc-${i}` } },
      ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }],
    },
  });
  for (let e = 0; e < endpoints; e++) {
    registrations.push({
      service: host(i),
      address: `10.${(i >> 8) & 255}.${i & 255}.${e + 1}`,
      port: 8080,
      protocol: 'http',
      labels: { app: `svc-${i}` },
    });
  }
}
// Group g depends on `dependencies` consecutive services starting at g * stride (wrapping), so groups
// overlap a little, as real call graphs do.
if (dependencies > 0) {
  const stride = Math.max(1, Math.floor(services / groups));
  for (let g = 0; g < groups; g++) {
    // The first `shared` services are everyone's dependencies (think auth, config); the endpoint
    // changes of the bench touch those, so they reach the whole fleet.
    const own = Array.from({ length: dependencies - shared }, (_, k) => (g * stride + k) % services);
    const ids = new Set([...Array.from({ length: shared }, (_, k) => k), ...own]);
    const hosts = [...ids].map((i) => `bench/${host(i)}`);
    config.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: `group-${g}`, namespace: 'bench' },
      spec: { workloadSelector: { labels: { group: `g${g}` } }, egress: [{ hosts }] },
    });
  }
}
// Seeding is not measured; registering in parallel batches keeps 100,000 endpoints under a minute.
for (let i = 0; i < registrations.length; i += 2000)
  await Promise.all(registrations.slice(i, i + 2000).map((r) => registry.register(r)));
const cpu0 = process.cpuUsage();
const pilot = await Pilot.start({
  config,
  registries: [registry],
  xdsAddress: { host: '127.0.0.1', port: 0 },
  debounceAfterMs,
  debounceMaxMs: 10_000,
  registryDiscoverEveryMs: 5000,
  sendQueueLimit: 1024,
});
const held = new Map();
const cpuSeconds = () => {
  const u = process.cpuUsage(cpu0);
  return (u.user + u.system) / 1e6;
};
process.on('message', async (msg) => {
  if (msg.type === 'stats') {
    process.send({
      type: 'stats',
      id: msg.id,
      cpuSeconds: cpuSeconds(),
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      rssMiB: process.memoryUsage().rss / 2 ** 20,
      connected: pilot.metrics.get('pilot_xds'),
    });
  } else if (msg.type === 'route') {
    // A VirtualService on svc-0 (a shared dependency in Sidecar mode): a full push whose only
    // changed resource is each proxy's route configuration.
    const at = performance.timeOrigin + performance.now();
    pilot.setConfig([
      ...config,
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'svc-0', namespace: 'bench' },
        spec: {
          hosts: [host(0)],
          http: [
            {
              match: [{ headers: { 'x-round': { exact: String(msg.round) } } }],
              route: [{ destination: { host: host(0) } }],
              timeout: '5s',
            },
            { route: [{ destination: { host: host(0) } }] },
          ],
        },
      },
    ]);
    process.send({ type: 'routed', id: msg.id, at });
  } else if (msg.type === 'change') {
    const key = `${msg.service}|${msg.address}`;
    const at = performance.timeOrigin + performance.now();
    if (held.has(key)) {
      await held.get(key).deregister();
      held.delete(key);
    } else {
      held.set(
        key,
        await registry.register({
          service: host(msg.service),
          address: msg.address,
          port: 8080,
          protocol: 'http',
          labels: { app: `svc-${msg.service}` },
        }),
      );
    }
    process.send({ type: 'changed', id: msg.id, at });
  } else if (msg.type === 'stop') {
    await pilot.close();
    await registry.close();
    process.exit(0);
  }
});
process.send({ type: 'ready', address: pilot.xdsAddress, startupCpuSeconds: cpuSeconds() });
