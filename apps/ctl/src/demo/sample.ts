// The sample mesh `strait demo` shows: one service with two subsets and a weighted split, rendered
// into the LDS / RDS / CDS / EDS resources a sidecar calling it would get. Pure: the same options
// always give the same resources.
import {
  buildBlackHoleCluster,
  buildClusterLoadAssignment,
  buildEdsCluster,
  buildHttpListener,
  buildOriginalDstCluster,
  buildRouteConfiguration,
  buildStaticCluster,
  buildVirtualInboundListener,
  buildVirtualOutboundListener,
  type Cluster,
  type ClusterLoadAssignment,
  clusterName,
  type EndpointSpec,
  inboundClusterName,
  type Listener,
  type RouteConfiguration,
  serviceDomains,
  WellKnownNames,
} from '@strait/xds';

export interface DemoOptions {
  service: string;
  namespace: string;
  port: number;
  /** Percent of traffic to subset v1; the rest goes to v2. */
  v1Weight: number;
}

export const DEFAULT_DEMO: DemoOptions = {
  service: 'reviews',
  namespace: 'default',
  port: 9080,
  v1Weight: 80,
};

export interface DemoResources {
  host: string;
  listeners: Listener[];
  routes: RouteConfiguration[];
  clusters: Cluster[];
  endpoints: ClusterLoadAssignment[];
}

interface Pod {
  ip: string;
  version: 'v1' | 'v2';
  zone: string;
}

// Three pods across two zones; v1 has two replicas, v2 one.
const PODS: Pod[] = [
  { ip: '10.244.1.11', version: 'v1', zone: 'zone-a' },
  { ip: '10.244.2.12', version: 'v1', zone: 'zone-b' },
  { ip: '10.244.1.21', version: 'v2', zone: 'zone-a' },
];

function assignment(name: string, pods: Pod[], port: number): ClusterLoadAssignment {
  const zones = [...new Set(pods.map((p) => p.zone))].sort();
  return buildClusterLoadAssignment({
    clusterName: name,
    localities: zones.map((zone) => ({
      region: 'region-1',
      zone,
      endpoints: pods
        .filter((p) => p.zone === zone)
        .map((p): EndpointSpec => ({ address: p.ip, port, labels: { app: 'demo', version: p.version } })),
    })),
  });
}

export function buildDemoResources(options: DemoOptions = DEFAULT_DEMO): DemoResources {
  const { service, namespace, port, v1Weight } = options;
  const host = `${service}.${namespace}.svc.cluster.local`;
  const all = clusterName({ direction: 'outbound', port, host });
  const v1 = clusterName({ direction: 'outbound', port, subset: 'v1', host });
  const v2 = clusterName({ direction: 'outbound', port, subset: 'v2', host });
  const weighted = [
    { cluster: v1, weight: v1Weight },
    { cluster: v2, weight: 100 - v1Weight },
  ].filter((w) => w.weight > 0);

  const listeners = [
    buildVirtualOutboundListener(),
    buildVirtualInboundListener({ ports: [{ port, protocol: 'http' }] }),
    buildHttpListener({ port }),
  ];
  const routes = [
    buildRouteConfiguration({
      name: String(port),
      virtualHosts: [
        {
          name: `${host}:${port}`,
          domains: serviceDomains(host, port, namespace),
          routes: [
            {
              name: 'split',
              match: { prefix: '/' },
              ...(weighted.length === 1 ? { cluster: weighted[0]!.cluster } : { weightedClusters: weighted }),
              timeoutMs: 10_000,
              retries: { attempts: 2, perTryTimeoutMs: 3_000 },
            },
          ],
        },
        {
          name: 'allow_any',
          domains: ['*'],
          routes: [{ name: 'allow_any', cluster: WellKnownNames.PassthroughCluster }],
        },
      ],
    }),
  ];
  const clusters = [
    buildEdsCluster({ name: all }),
    buildEdsCluster({ name: v1 }),
    buildEdsCluster({ name: v2 }),
    buildStaticCluster({ name: inboundClusterName(port), endpoints: [{ address: '127.0.0.1', port }] }),
    buildOriginalDstCluster(),
    buildOriginalDstCluster({
      name: WellKnownNames.InboundPassthroughCluster,
      upstreamBindAddress: '127.0.0.6',
    }),
    buildBlackHoleCluster(),
  ];
  const endpoints = [
    assignment(all, PODS, port),
    assignment(
      v1,
      PODS.filter((p) => p.version === 'v1'),
      port,
    ),
    assignment(
      v2,
      PODS.filter((p) => p.version === 'v2'),
      port,
    ),
  ];
  return { host, listeners, routes, clusters, endpoints };
}
