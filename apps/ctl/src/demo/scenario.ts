// What the live demo configures: the two services, their subsets, and the route changes it applies
// while traffic flows. Pure: YAML text in the Istio / Strait kinds the pilot reads from its config dir.

/** The pilot's --architecture values (docs/architecture.md). */
export const ARCHITECTURES = ['three-in-one', 'scale-out', 'colocated'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** Where the proxy's config and endpoints come from, per architecture: shown when the proxy is up. */
export const ARCHITECTURE_NOTES: Readonly<Record<Architecture, string>> = {
  'three-in-one': 'LDS/RDS/CDS/EDS over ADS from the central pilot',
  'scale-out':
    'LDS/RDS/CDS from the pilot; endpoints watched straight from the registry by the proxy (no EDS)',
  colocated: 'LDS/RDS/CDS/EDS from its own pilot over a Unix socket',
};

export const NAMESPACE = 'default';
export const HTTP_HOST = `reviews.${NAMESPACE}.svc.cluster.local`;
export const HTTP_APP = 'reviews';
export const DUBBO_INTERFACE = 'org.apache.dubbo.demo.GreetingService';
export const DUBBO_APP = 'greeting-provider';
export const VERSIONS = ['v1', 'v2'] as const;
export type Version = (typeof VERSIONS)[number];

/** One step of the traffic shift: percent of requests to v1 and v2. */
export interface Phase {
  name: string;
  v1: number;
  v2: number;
  /** When it is applied, from the start of traffic. */
  atMs: number;
}

const SPLITS: readonly [number, number][] = [
  [90, 10],
  [50, 50],
  [0, 100],
];

/** Without a duration the shift steps every this long and then stays at the last split. */
export const UNBOUNDED_STEP_MS = 10_000;

/** Splits spread evenly over a bounded run (so each gets a third), else one step every 10 s. */
export function phases(durationMs: number | undefined): Phase[] {
  const step = durationMs === undefined ? UNBOUNDED_STEP_MS : durationMs / SPLITS.length;
  return SPLITS.map(([v1, v2], i) => ({ name: `${v1}/${v2}`, v1, v2, atMs: Math.round(i * step) }));
}

export interface MeshPorts {
  /** The service ports: the proxy's outbound listeners bind them on 127.0.0.1. */
  httpPort: number;
  dubboPort: number;
}

/**
 * The services: ServiceEntries whose endpoints are the registry instances their workloadSelector
 * picks (the pilot or, in scale-out, the proxy reads them from the registry), and DestinationRules
 * naming the v1/v2 subsets by the `version` label the upstreams register with.
 */
export function servicesYaml(ports: MeshPorts): string {
  return `# Written by strait demo: the services (endpoints come from the registry).
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: ${NAMESPACE} }
spec:
  hosts: [${HTTP_HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${ports.httpPort}, name: http, protocol: HTTP }]
  workloadSelector: { labels: { app: ${HTTP_APP} } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: ${NAMESPACE} }
spec:
  host: ${HTTP_HOST}
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: greeting, namespace: ${NAMESPACE} }
spec:
  hosts: [${DUBBO_INTERFACE}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${ports.dubboPort}, name: dubbo, protocol: DUBBO }]
  workloadSelector: { labels: { app: ${DUBBO_APP} } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greeting, namespace: ${NAMESPACE} }
spec:
  host: ${DUBBO_INTERFACE}
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;
}

/** The routes of one phase: a weighted VirtualService for HTTP and a weighted RpcRoute for Dubbo. */
export function routesYaml(phase: Phase): string {
  return `# Written by strait demo: phase ${phase.name} (v1/v2).
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: ${NAMESPACE} }
spec:
  hosts: [${HTTP_HOST}]
  http:
    - route:
        - { destination: { host: ${HTTP_HOST}, subset: v1 }, weight: ${phase.v1} }
        - { destination: { host: ${HTTP_HOST}, subset: v2 }, weight: ${phase.v2} }
---
apiVersion: mesh.strait.io/v1alpha1
kind: RpcRoute
metadata: { name: greeting, namespace: ${NAMESPACE} }
spec:
  protocol: dubbo
  service: { interface: ${DUBBO_INTERFACE} }
  routes:
    - name: split
      route:
        - { destination: { host: ${DUBBO_INTERFACE}, subset: v1 }, weight: ${phase.v1} }
        - { destination: { host: ${DUBBO_INTERFACE}, subset: v2 }, weight: ${phase.v2} }
`;
}
