// EDS: one ClusterLoadAssignment per outbound cluster name. The instances → ClusterLoadAssignment
// mapping is @strait/registry's toClusterLoadAssignment, the same one a scale-out proxy runs, so both
// architectures feed identical data (localities from region/zone/cell labels, locality weight = sum
// of endpoint weights, labels as envoy.lb metadata for subset load balancing). Pure.
import { isIP } from 'node:net';
import {
  cellClosure,
  type Instance,
  type PrioritizedInstance,
  toClusterLoadAssignment,
} from '@strait/registry';
import type { envoy } from '@strait/xds';
import type { ProxyInfo } from '../model/proxy.js';
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

/** The cell a proxy fails over from: its node's sub_zone, else its zone (undefined: no failover). */
export interface Cell {
  readonly cell: string;
  readonly region: string;
}

/**
 * Istio's rule for locality failover: the DestinationRule has outlier detection (without it Envoy
 * cannot see endpoints fail, so priorities would only strand traffic) and does not disable
 * localityLbSetting. Then each proxy gets endpoints by priority from its own cell outwards.
 */
export function failoverCell(ctx: PushContext, name: string, proxy: ProxyInfo): Cell | undefined {
  const key = parseClusterName(name);
  const l = proxy.locality;
  if (!key || !l || (l.subZone === '' && l.zone === '')) return undefined;
  const policy = ctx.destinationRules.get(key.host)?.spec.trafficPolicy;
  if (!policy?.outlierDetection || policy.loadBalancer?.localityLbSetting?.enabled === false)
    return undefined;
  return { cell: l.subZone || l.zone, region: l.region };
}

/** Envoy and grpc-js-xds require priorities 0..N without gaps. */
function contiguous(items: PrioritizedInstance[]): PrioritizedInstance[] {
  const levels = [...new Set(items.map((i) => i.priority))].sort((a, b) => a - b);
  return items.map((i) => ({ instance: i.instance, priority: levels.indexOf(i.priority) }));
}

export function buildLoadAssignment(
  clusterName: string,
  host: string,
  endpoints: readonly ServiceEndpoint[],
  cell?: Cell,
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
  if (!cell) return toClusterLoadAssignment(clusterName, usable);
  // Zone-only nodes: the endpoints' zone stands in for their cell.
  const asCell = (i: Instance): Instance =>
    i.labels['cell'] ? i : { ...i, labels: { ...i.labels, cell: i.labels['zone'] ?? '' } };
  const closure = cellClosure(usable.map(asCell), {
    cell: cell.cell,
    ...(cell.region ? { region: cell.region } : {}),
  });
  return toClusterLoadAssignment(clusterName, contiguous(closure));
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
    const cell = proxy ? failoverCell(ctx, name, proxy) : undefined;
    if (eps) out.push(buildLoadAssignment(name, parseClusterName(name)!.host, eps, cell));
  }
  return out;
}
