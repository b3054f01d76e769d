// A small mesh used by protocol tests: reviews (HTTP, subsets v1/v2, 50/50 VirtualService) and
// ratings (HTTP), both fed by the embedded registry.
import type { ConfigObject } from '@strait/config';
import { InProcessRegistry, MemoryStore } from '@strait/registry';

export const REVIEWS = 'reviews.default.svc.cluster.local';
export const RATINGS = 'ratings.default.svc.cluster.local';

function se(name: string, host: string, port: number): ConfigObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: 'default' },
    spec: {
      hosts: [host],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      workloadSelector: { labels: { app: name } },
      ports: [{ number: port, name: 'http', protocol: 'HTTP' }],
    },
  };
}

export function destinationRule(subsets: string[]): ConfigObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { host: REVIEWS, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) },
  };
}

export function reviewsRoute(weights: Record<string, number>): ConfigObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      hosts: ['reviews'],
      http: [
        {
          name: 'split',
          route: Object.entries(weights).map(([subset, weight]) => ({
            destination: { host: REVIEWS, subset },
            weight,
          })),
        },
      ],
    },
  };
}

export function baseConfig(): ConfigObject[] {
  return [
    se('reviews', REVIEWS, 9080),
    se('ratings', RATINGS, 9080),
    destinationRule(['v1', 'v2']),
    reviewsRoute({ v1: 50, v2: 50 }),
  ];
}

export async function seededRegistry(): Promise<InProcessRegistry> {
  const r = new InProcessRegistry(new MemoryStore());
  await r.register({
    service: REVIEWS,
    address: '10.0.0.1',
    port: 9080,
    protocol: 'http',
    labels: { app: 'reviews', version: 'v1' },
  });
  await r.register({
    service: REVIEWS,
    address: '10.0.0.2',
    port: 9080,
    protocol: 'http',
    labels: { app: 'reviews', version: 'v2' },
  });
  await r.register({
    service: RATINGS,
    address: '10.0.1.1',
    port: 9080,
    protocol: 'http',
    labels: { app: 'ratings' },
  });
  return r;
}
