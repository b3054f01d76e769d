// Kubernetes objects → registry Instances, and a registered Instance → an EndpointSlice. Pure: no I/O,
// no clock (callers pass `now`), so the rules are unit-tested on their own and the same code computes
// list() results and watch state.
//
// One instance per (endpoint address, slice port): a Service with ports `http` and `grpc` gives each
// ready pod two instances, `10.0.0.1:8080` and `10.0.0.1:9090`, with the protocol of their own port.
import { createHash } from 'node:crypto';
import { instanceFromJSON } from '../../instance.js';
import type { Health, Instance, Protocol } from '../../types.js';
import { LABEL_CELL, LABEL_REGION, LABEL_VERSION, LABEL_ZONE } from '../../types.js';
import {
  type Endpoint,
  type EndpointConditions,
  type EndpointPort,
  type EndpointSlice,
  INSTANCE_ANNOTATION,
  LEASE_LABEL,
  type Lease,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  type Pod,
  SERVICE_NAME_LABEL,
  type ServicePort,
  toMillis,
} from './objects.js';

/**
 * Protocol of a port: its appProtocol (KEP-3726 names and plain ones), else Istio's port-name
 * convention (`http-web`, `grpc`, `dubbo-rpc`), else TCP.
 */
export function protocolOf(port: { name?: string; appProtocol?: string }): Protocol {
  const byName = (s: string): Protocol | undefined => {
    const p = s.toLowerCase();
    if (p === 'grpc' || p === 'grpc-web' || p.startsWith('grpc-')) return 'grpc';
    if (p === 'dubbo' || p.startsWith('dubbo-')) return 'dubbo';
    if (p === 'http' || p === 'http2' || p === 'https' || p.startsWith('http-') || p.startsWith('http2-'))
      return 'http';
    if (p === 'kubernetes.io/h2c' || p === 'kubernetes.io/ws' || p === 'kubernetes.io/wss') return 'http';
    if (p === 'tcp' || p.startsWith('tcp-')) return 'tcp';
    return undefined;
  };
  return (port.appProtocol && byName(port.appProtocol)) || (port.name && byName(port.name)) || 'tcp';
}

/**
 * EndpointSlice conditions → health. `ready` absent means ready (the API's rule). Not ready but still
 * serving while terminating is a pod on its way out: `draining` (finish in-flight work, no new calls).
 */
export function healthOf(c: EndpointConditions | undefined): Health {
  if (c?.ready !== false) return 'healthy';
  if (c.terminating === true && c.serving !== false) return 'draining';
  return 'unhealthy';
}

export function conditionsOf(health: Health): EndpointConditions {
  if (health === 'healthy') return { ready: true, serving: true, terminating: false };
  if (health === 'draining') return { ready: false, serving: true, terminating: true };
  return { ready: false, serving: false, terminating: false };
}

/** Pod labels Istio and Kubernetes use for the well-known instance labels, first match wins. */
const VERSION_LABELS = ['version', 'app.kubernetes.io/version', 'service.istio.io/canonical-revision'];
const APP_LABELS = ['app', 'app.kubernetes.io/name', 'service.istio.io/canonical-name'];
const CELL_LABELS = ['cell', 'mesh.strait.io/cell', 'topology.istio.io/subzone'];
const REGION_LABELS = ['topology.kubernetes.io/region'];
const ZONE_LABELS = ['topology.kubernetes.io/zone'];

const first = (labels: Record<string, string>, keys: readonly string[]): string | undefined => {
  for (const k of keys) if (labels[k]) return labels[k];
  return undefined;
};

/**
 * Instance labels of an endpoint: every pod label (DestinationRule subsets select on them), plus
 * `version`, `cell`, `zone`, `region` from the pod's labels, Istio's `istio-locality` label
 * (`region.zone.subzone`) and the endpoint's zone (set from the node's topology label).
 */
export function labelsOf(endpoint: Endpoint, pod: Pod | undefined): Record<string, string> {
  const podLabels = pod?.metadata?.labels ?? {};
  const out: Record<string, string> = { ...podLabels };
  const [locRegion, locZone, locSub] = (podLabels['istio-locality'] ?? '').split('.');
  const set = (key: string, value: string | undefined): void => {
    if (value) out[key] = value;
  };
  set(LABEL_VERSION, first(podLabels, VERSION_LABELS));
  set(LABEL_CELL, first(podLabels, CELL_LABELS) ?? locSub);
  set(LABEL_REGION, first(podLabels, REGION_LABELS) ?? locRegion);
  set(LABEL_ZONE, endpoint.zone ?? first(podLabels, ZONE_LABELS) ?? locZone);
  return out;
}

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

/** What the instances of a slice depend on besides the slice. */
export interface Context {
  /** Registry-facing service name (`name` or `name.namespace.svc.cluster.local`). */
  readonly service: string;
  readonly pods: (namespace: string, name: string) => Pod | undefined;
  readonly leases: (namespace: string, name: string) => Lease | undefined;
  /** The Service's own ports: their appProtocol fills in a slice port that has none. */
  readonly servicePorts: readonly ServicePort[];
  readonly now: number;
}

/** Whether a slice written by a registry client is still covered by its Lease. */
export function sliceAlive(slice: EndpointSlice, ctx: Pick<Context, 'leases' | 'now'>): boolean {
  const leaseName = slice.metadata?.labels?.[LEASE_LABEL];
  if (!leaseName) return true;
  const lease = ctx.leases(slice.metadata?.namespace ?? '', leaseName);
  if (!lease) return false;
  return !leaseExpired(lease, ctx.now);
}

export function leaseExpired(lease: Lease, now: number): boolean {
  const renewed = toMillis(lease.spec?.renewTime);
  const seconds = lease.spec?.leaseDurationSeconds ?? 0;
  return !Number.isFinite(renewed) || renewed + seconds * 1000 < now;
}

/** Instances of one EndpointSlice (IPv4/IPv6 slices only; FQDN slices name no addresses). */
export function instancesOfSlice(slice: EndpointSlice, ctx: Context): Instance[] {
  if (slice.addressType === 'FQDN') return [];
  if (!sliceAlive(slice, ctx)) return [];
  const ns = slice.metadata?.namespace ?? '';
  const registered = registeredInstance(slice, ctx.service);
  const out: Instance[] = [];
  for (const ep of slice.endpoints ?? []) {
    const address = ep.addresses[0];
    if (!address) continue;
    for (const port of slice.ports ?? []) {
      if (!port.port) continue;
      if (registered) {
        out.push({ ...registered, address, port: port.port, health: healthOf(ep.conditions) });
        continue;
      }
      out.push(nativeInstance(ctx, ns, ep, address, port));
    }
  }
  return out;
}

function nativeInstance(
  ctx: Context,
  ns: string,
  ep: Endpoint,
  address: string,
  port: EndpointPort,
): Instance {
  const ref = ep.targetRef;
  const pod = ref?.kind === 'Pod' && ref.name ? ctx.pods(ref.namespace ?? ns, ref.name) : undefined;
  const labels = labelsOf(ep, pod);
  const metadata: Record<string, string> = { 'k8s.namespace': ns };
  if (ref?.kind && ref.name) metadata[`k8s.${ref.kind.toLowerCase()}`] = ref.name;
  if (ep.nodeName) metadata['k8s.node'] = ep.nodeName;
  if (port.name) metadata['k8s.port'] = port.name;
  return instanceFromJSON({
    id: `${address}:${port.port}`,
    service: ctx.service,
    address,
    port: port.port!,
    protocol: protocolOf({
      name: port.name,
      appProtocol: port.appProtocol ?? ctx.servicePorts.find((p) => p.name === port.name)?.appProtocol,
    }),
    health: healthOf(ep.conditions),
    labels,
    application: first(pod?.metadata?.labels ?? {}, APP_LABELS) ?? ctx.service,
    metadata,
  });
}

/** The Instance a registry client stored on its slice, or undefined for slices others wrote. */
function registeredInstance(slice: EndpointSlice, service: string): Instance | undefined {
  if (slice.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) return undefined;
  const text = slice.metadata.annotations?.[INSTANCE_ANNOTATION];
  if (!text) return undefined;
  try {
    const stored = JSON.parse(text) as Record<string, unknown>;
    return instanceFromJSON({ ...stored, service });
  } catch {
    return undefined; // hand-edited or foreign: fall back to reading it as a native slice
  }
}

/** Deterministic slice name for a registered instance: re-registering the same id replaces it. */
export function sliceName(serviceName: string, id: string): string {
  const hash = createHash('sha256').update(`${serviceName}\0${id}`).digest('hex').slice(0, 20);
  // Names are DNS subdomains of at most 253 characters; a service name is at most 63.
  return `${serviceName}-strait-${hash}`;
}

/** The EndpointSlice that registering `instance` in `ref` writes (one endpoint, one port). */
export function sliceForInstance(instance: Instance, ref: ServiceRef, leaseName: string): EndpointSlice {
  const { service: _service, ...stored } = instance;
  return {
    metadata: {
      name: sliceName(ref.name, instance.id),
      namespace: ref.namespace,
      labels: { [SERVICE_NAME_LABEL]: ref.name, [MANAGED_BY_LABEL]: MANAGED_BY, [LEASE_LABEL]: leaseName },
      annotations: { [INSTANCE_ANNOTATION]: JSON.stringify(stored) },
    },
    addressType: instance.address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [instance.address], conditions: conditionsOf(instance.health) }],
    ports: [
      {
        name: `${instance.protocol}-${instance.port}`,
        port: instance.port,
        protocol: 'TCP',
        appProtocol: instance.protocol,
      },
    ],
  };
}
