// EDS: one ClusterLoadAssignment per outbound cluster name, endpoints grouped by locality (weight =
// sum of endpoint weights, as grpc-js-xds and Envoy's locality-weighted LB want it). Pure.
import { envoy } from '@strait/xds';
import type { PushContext } from '../model/push-context.js';
import { endpointsForPort, labelsMatch, type ServiceEndpoint } from '../model/service.js';
import { parseClusterName } from './names.js';

export type ClusterLoadAssignment = envoy.config.endpoint.v3.ClusterLoadAssignment.$Properties;
type LocalityLbEndpoints = envoy.config.endpoint.v3.LocalityLbEndpoints.$Properties;
const HealthStatus = envoy.config.core.v3.HealthStatus;

/** Endpoints of a cluster, or undefined when the cluster is unknown (service/port/subset absent). */
export function clusterEndpoints(ctx: PushContext, name: string): ServiceEndpoint[] | undefined {
  const key = parseClusterName(name);
  if (key?.direction !== 'outbound') return undefined;
  const service = ctx.services.get(key.host);
  const port = service?.ports.find((p) => p.number === key.port);
  if (!service || !port) return undefined;
  let selector: Record<string, string> | undefined;
  if (key.subset) {
    const subset = ctx.destinationRules.get(key.host)?.spec.subsets?.find((s) => s.name === key.subset);
    if (!subset) return undefined;
    selector = subset.labels;
  }
  return endpointsForPort(service, port, ctx.endpoints.get(key.host) ?? []).filter((e) =>
    labelsMatch(selector, e.labels),
  );
}

function localityKey(e: ServiceEndpoint): string {
  return `${e.locality.region}/${e.locality.zone}/${e.locality.subZone}`;
}

export function buildLoadAssignment(
  clusterName: string,
  endpoints: readonly ServiceEndpoint[],
): ClusterLoadAssignment {
  const groups = new Map<string, ServiceEndpoint[]>();
  const sorted = [...endpoints].sort((a, b) =>
    a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1,
  );
  for (const e of sorted) {
    const k = localityKey(e);
    const g = groups.get(k) ?? [];
    // The same address:port twice in one locality is one endpoint (grpc-js-xds rejects duplicates).
    if (!g.some((x) => x.address === e.address && x.port === e.port)) g.push(e);
    groups.set(k, g);
  }
  const localities: LocalityLbEndpoints[] = [];
  for (const k of [...groups.keys()].sort()) {
    const g = groups.get(k)!;
    const first = g[0]!;
    localities.push({
      locality: { region: first.locality.region, zone: first.locality.zone, subZone: first.locality.subZone },
      loadBalancingWeight: { value: g.reduce((s, e) => s + e.weight, 0) },
      priority: 0,
      lbEndpoints: g.map((e) => ({
        endpoint: { address: { socketAddress: { address: e.address, portValue: e.port } } },
        healthStatus: e.healthy ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY,
        loadBalancingWeight: { value: e.weight },
      })),
    });
  }
  return { clusterName, endpoints: localities };
}

/** EDS for the requested cluster names; unknown names are left out (the client's does-not-exist timer decides). */
export function buildEndpoints(ctx: PushContext, names: Iterable<string>): ClusterLoadAssignment[] {
  const out: ClusterLoadAssignment[] = [];
  for (const name of names) {
    const eps = clusterEndpoints(ctx, name);
    if (eps) out.push(buildLoadAssignment(name, eps));
  }
  return out;
}
