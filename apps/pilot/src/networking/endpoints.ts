// EDS: one ClusterLoadAssignment per outbound cluster name. The instances → ClusterLoadAssignment
// mapping is @strait/registry's toClusterLoadAssignment, the same one a scale-out proxy runs, so both
// architectures feed identical data (localities from region/zone/cell labels, locality weight = sum
// of endpoint weights, labels as envoy.lb metadata for subset load balancing). A DestinationRule's
// localityLbSetting then makes the assignment per proxy (locality.ts). Pure.
import { isIP } from 'node:net';
import { type Instance, type PrioritizedInstance, toClusterLoadAssignment } from '@strait/registry';
import type { envoy } from '@strait/xds';
import type { ProxyInfo } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import { endpointsForPort, labelsMatch, type ServiceEndpoint } from '../model/service.js';
import { effectivePolicy } from './clusters.js';
import {
  distributeWeights,
  failoverPriorities,
  type LocalityLb,
  localityKeyOf,
  matchingDistribute,
  type PriorityInput,
  resolveLocalityLb,
} from './locality.js';
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

/** The locality LB a cluster gets (its effective DestinationRule policy: rule, port level, subset). */
function clusterLocalityLb(ctx: PushContext, clusterName: string): LocalityLb | undefined {
  const key = parseClusterName(clusterName);
  if (key?.direction !== 'outbound') return undefined;
  return resolveLocalityLb(effectivePolicy(ctx, key.host, key.port, key.subset ?? ''));
}

/**
 * What of the proxy a cluster's assignment depends on (DestinationRule localityLbSetting): undefined
 * when nothing, else a short string, equal for two proxies that get the same assignment and free of
 * `|` (EDS caches key assignments by `${cluster}@${key}`).
 */
export function localityKey(ctx: PushContext, clusterName: string, proxy: ProxyInfo): string | undefined {
  return localityKeyOf(clusterLocalityLb(ctx, clusterName), proxy);
}

/** Envoy and grpc-js-xds require priorities 0..N without gaps. */
function contiguous(items: PrioritizedInstance[]): PrioritizedInstance[] {
  const levels = [...new Set(items.map((i) => i.priority))].sort((a, b) => a - b);
  return items.map((i) => ({ instance: i.instance, priority: levels.indexOf(i.priority) }));
}

const NO_LOCALITY = { region: '', zone: '', subZone: '' };

/**
 * The assignment of one cluster. With `lb` and `proxy`, Istio's locality LB for that proxy:
 * distribute rewrites locality weights (unlisted localities dropped), failover assigns priorities.
 */
export function buildLoadAssignment(
  clusterName: string,
  host: string,
  endpoints: readonly ServiceEndpoint[],
  lb?: LocalityLb,
  proxy?: ProxyInfo,
): ClusterLoadAssignment {
  // EDS carries IP addresses only, each once per assignment (Envoy and grpc-js-xds reject the rest).
  const seen = new Set<string>();
  const usable: Instance[] = [];
  const inputs: PriorityInput[] = [];
  for (const e of endpoints) {
    const key = `${e.address}:${e.port}`;
    if (isIP(e.address) === 0 || seen.has(key)) continue;
    seen.add(key);
    usable.push(asInstance(host, e));
    inputs.push({ locality: e.locality, labels: e.labels, ...(e.network ? { network: e.network } : {}) });
  }
  if (!lb || !proxy) return toClusterLoadAssignment(clusterName, usable);
  if (lb.kind === 'failover') {
    const levels = failoverPriorities(lb, proxy, inputs);
    const prioritized = usable.map((instance, i) => ({ instance, priority: levels[i]! }));
    return toClusterLoadAssignment(clusterName, contiguous(prioritized));
  }
  const cla = toClusterLoadAssignment(clusterName, usable);
  const rule = lb.rules[matchingDistribute(lb, proxy.locality ?? NO_LOCALITY)];
  return rule ? { ...cla, endpoints: distributeWeights(rule, cla.endpoints ?? []) } : cla;
}

/** EDS for the requested cluster names; unknown names are left out (the client's does-not-exist timer decides). */
export function buildEndpoints(
  ctx: PushContext,
  names: Iterable<string>,
  proxy?: ProxyInfo,
): ClusterLoadAssignment[] {
  const out: ClusterLoadAssignment[] = [];
  for (const name of names) {
    const eps = clusterEndpoints(ctx, name);
    if (!eps) continue;
    const lb = proxy ? clusterLocalityLb(ctx, name) : undefined;
    out.push(buildLoadAssignment(name, parseClusterName(name)!.host, eps, lb, proxy));
  }
  return out;
}
