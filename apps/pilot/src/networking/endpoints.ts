// EDS: one ClusterLoadAssignment per outbound cluster name. The instances → ClusterLoadAssignment
// mapping is @strait/registry's toClusterLoadAssignment, the same one a scale-out proxy runs, so both
// architectures feed identical data (localities from region/zone/cell labels, locality weight = sum
// of endpoint weights, labels as envoy.lb metadata for subset load balancing). Pure.
import { isIP } from 'node:net';
import { type Instance, toClusterLoadAssignment } from '@strait/registry';
import type { envoy } from '@strait/xds';
import type { PushContext } from '../model/push-context.js';
import { endpointsForPort, labelsMatch, type ServiceEndpoint } from '../model/service.js';
import { parseClusterName } from './names.js';

export type ClusterLoadAssignment = envoy.config.endpoint.v3.ClusterLoadAssignment.$Properties;

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

function asInstance(host: string, e: ServiceEndpoint): Instance {
  const labels: Record<string, string> = { ...e.labels };
  if (e.locality.region) labels['region'] = e.locality.region;
  if (e.locality.zone) labels['zone'] = e.locality.zone;
  if (e.locality.subZone) labels['cell'] = e.locality.subZone;
  return {
    id: e.id,
    service: host,
    address: e.address,
    port: e.port,
    protocol: 'tcp',
    weight: e.weight,
    health: e.health,
    labels,
    application: host,
    interfaces: [],
    metadata: {},
  };
}

export function buildLoadAssignment(
  clusterName: string,
  host: string,
  endpoints: readonly ServiceEndpoint[],
): ClusterLoadAssignment {
  // EDS carries IP addresses only, each once per assignment (Envoy and grpc-js-xds reject the rest).
  const seen = new Set<string>();
  const usable: Instance[] = [];
  for (const e of endpoints) {
    const key = `${e.address}:${e.port}`;
    if (isIP(e.address) === 0 || seen.has(key)) continue;
    seen.add(key);
    usable.push(asInstance(host, e));
  }
  return toClusterLoadAssignment(clusterName, usable);
}

/** EDS for the requested cluster names; unknown names are left out (the client's does-not-exist timer decides). */
export function buildEndpoints(ctx: PushContext, names: Iterable<string>): ClusterLoadAssignment[] {
  const out: ClusterLoadAssignment[] = [];
  for (const name of names) {
    const eps = clusterEndpoints(ctx, name);
    if (eps) out.push(buildLoadAssignment(name, parseClusterName(name)!.host, eps));
  }
  return out;
}
