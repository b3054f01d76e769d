// The immutable snapshot every push is computed from: services, endpoints and config at one instant.
// Builders in networking/ read it and nothing else, so a push for one proxy is a pure function of
// (PushContext, ProxyInfo) and every resource type of one push agrees with the others.
import type { ConfigObject, DestinationRule, RpcRoute, Sidecar, VirtualService } from '@strait/config';
import type { Instance } from '@strait/registry';
import { type DelegationProblem, mergeDelegates } from './delegation.js';
import {
  labelsMatch,
  portProtocol,
  type Service,
  type ServiceEndpoint,
  type ServicePort,
} from './service.js';

export type Architecture = 'colocated' | 'three-in-one' | 'scale-out';

export interface PushContext {
  /** Changes whenever anything in the context changes; stamped on pushes for /debug/syncz. */
  readonly version: string;
  readonly architecture: Architecture;
  /** Registry name scale-out clusters point proxies at (the `registry` of RegistryCluster). */
  readonly registryName: string;
  readonly services: ReadonlyMap<string, Service>;
  readonly endpoints: ReadonlyMap<string, readonly ServiceEndpoint[]>;
  /**
   * In config order (oldest first), as Istio merges them; delegation already merged (roots carry
   * their delegates' routes, delegates themselves are not listed).
   */
  readonly virtualServices: readonly VirtualService[];
  /** Delegating routes (or delegate routes) that could not be applied, for logs and /debug/configz. */
  readonly delegationProblems: readonly DelegationProblem[];
  /** By fully qualified host. */
  readonly destinationRules: ReadonlyMap<string, DestinationRule>;
  readonly sidecars: readonly Sidecar[];
  readonly rpcRoutes: readonly RpcRoute[];
}

export const CLUSTER_DOMAIN = 'svc.cluster.local';

/** Istio's short-name rule: `reviews` in namespace `ns` means `reviews.ns.svc.cluster.local`. */
export function resolveHost(host: string, namespace: string, services: ReadonlyMap<string, Service>): string {
  if (services.has(host) || host.includes('.') || host.includes('*')) return host;
  const fqdn = `${host}.${namespace}.${CLUSTER_DOMAIN}`;
  return services.has(fqdn) ? fqdn : host;
}

function namespaceOfHost(host: string): string {
  const m = /^[^.]+\.([^.]+)\.svc\./.exec(host);
  return m?.[1] ?? 'default';
}

function seLocality(text: string | undefined): ServiceEndpoint['locality'] {
  const [region = '', zone = '', subZone = ''] = (text ?? '').split('/');
  return { region, zone, subZone };
}

export function endpointFromInstance(i: Instance): ServiceEndpoint {
  return {
    id: i.id,
    address: i.address,
    port: i.port,
    labels: i.labels,
    weight: i.weight,
    health: i.health,
    locality: {
      region: i.labels['region'] ?? '',
      zone: i.labels['zone'] ?? '',
      subZone: i.labels['cell'] ?? '',
    },
  };
}

// Registry instance lists are shared between contexts while unchanged (the registry source hands out
// the same array), so their conversion is memoized per array and selector: an endpoint change to one
// of 10,000 services converts one list, not 100,000 instances.
const converted = new WeakMap<readonly Instance[], { selector: unknown; eps: ServiceEndpoint[] }>();

function registryEndpoints(
  list: readonly Instance[],
  selector: Readonly<Record<string, string>> | undefined,
): ServiceEndpoint[] {
  const hit = converted.get(list);
  if (hit && hit.selector === selector) return hit.eps;
  const eps = list.filter((i) => labelsMatch(selector, i.labels)).map(endpointFromInstance);
  converted.set(list, { selector, eps });
  return eps;
}

/** A host's endpoints: its ServiceEntry's own (if any), then its registry instances the selector admits. */
function hostEndpoints(
  own: readonly ServiceEndpoint[] | undefined,
  list: readonly Instance[],
  selector: Readonly<Record<string, string>> | undefined,
): ServiceEndpoint[] {
  const fromRegistry = registryEndpoints(list, selector);
  return own && own.length > 0 ? [...own, ...fromRegistry] : fromRegistry;
}

/** The ports of a service known only from the registry: one per distinct instance port. */
function registryPorts(list: readonly Instance[]): ServicePort[] {
  const byPort = new Map<number, ServicePort>();
  for (const i of list) {
    if (!byPort.has(i.port)) {
      const protocol = portProtocol(i.protocol, undefined);
      byPort.set(i.port, { name: `${i.protocol}-${i.port}`, number: i.port, protocol });
    }
  }
  return [...byPort.values()].sort((a, b) => a.number - b.number);
}

/** What a context was built from that an endpoint-only update needs (not part of the public shape). */
interface BuiltFrom {
  readonly config: readonly ConfigObject[];
  /** ServiceEntry `endpoints` per host, before registry instances are added. */
  readonly staticEndpoints: ReadonlyMap<string, readonly ServiceEndpoint[]>;
  readonly selectors: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

const builtFrom = new WeakMap<PushContext, BuiltFrom>();

export interface PushContextInput {
  readonly version: string;
  readonly architecture: Architecture;
  readonly registryName?: string;
  readonly config: readonly ConfigObject[];
  /** Registry instances by service name (the host). */
  readonly instances: ReadonlyMap<string, readonly Instance[]>;
}

/** Builds the context. Pure: same input, same output. */
export function buildPushContext(input: PushContextInput): PushContext {
  const services = new Map<string, Service>();
  // A ServiceEntry's workloadSelector picks which registry instances of its host are its endpoints.
  const selectors = new Map<string, Readonly<Record<string, string>>>();
  const endpoints = new Map<string, ServiceEndpoint[]>();
  const staticEndpoints = new Map<string, ServiceEndpoint[]>();
  const virtualServices: VirtualService[] = [];
  const destinationRules = new Map<string, DestinationRule>();
  const sidecars: Sidecar[] = [];
  const rpcRoutes: RpcRoute[] = [];

  for (const obj of input.config) {
    if (obj.kind !== 'ServiceEntry') continue;
    const ns = obj.metadata.namespace ?? 'default';
    const ports: ServicePort[] = (obj.spec.ports ?? []).map((p) => ({
      name: p.name,
      number: p.number,
      protocol: portProtocol(p.protocol, p.name),
      ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
    }));
    const resolution =
      obj.spec.resolution === 'DNS' || obj.spec.resolution === 'DNS_ROUND_ROBIN'
        ? 'DNS'
        : obj.spec.resolution === 'NONE'
          ? 'NONE'
          : 'STATIC';
    for (const host of obj.spec.hosts) {
      if (services.has(host)) continue; // the oldest ServiceEntry for a host wins, as in Istio
      services.set(host, {
        hostname: host,
        namespace: ns,
        ports,
        resolution,
        origin: `ServiceEntry/${ns}/${obj.metadata.name}`,
        ...(obj.spec.subjectAltNames?.length ? { subjectAltNames: obj.spec.subjectAltNames } : {}),
      });
      if (obj.spec.workloadSelector) selectors.set(host, obj.spec.workloadSelector.labels);
      const eps: ServiceEndpoint[] = [];
      for (const we of obj.spec.endpoints ?? []) {
        if (!we.address) continue;
        for (const p of ports) {
          const port = we.ports?.[p.name] ?? p.targetPort ?? p.number;
          eps.push({
            id: `${we.address}:${port}`,
            address: we.address,
            port,
            servicePort: p.number,
            labels: we.labels ?? {},
            weight: we.weight && we.weight > 0 ? we.weight : 1,
            health: 'healthy',
            locality: seLocality(we.locality),
            ...(we.network ? { network: we.network } : {}),
          });
        }
      }
      endpoints.set(host, eps);
      staticEndpoints.set(host, eps);
    }
  }

  // Registry instances: endpoints of a ServiceEntry host, or services of their own.
  for (const [host, list] of [...input.instances].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (list.length === 0 && !services.has(host)) continue;
    const eps = hostEndpoints(staticEndpoints.get(host), list, selectors.get(host));
    if (services.has(host)) {
      endpoints.set(host, eps);
      continue;
    }
    services.set(host, {
      hostname: host,
      namespace: namespaceOfHost(host),
      ports: registryPorts(list),
      resolution: 'STATIC',
      origin: 'registry',
    });
    endpoints.set(host, eps);
  }

  for (const obj of input.config) {
    const ns = obj.metadata.namespace ?? 'default';
    switch (obj.kind) {
      case 'VirtualService':
        virtualServices.push(obj);
        break;
      case 'DestinationRule': {
        const host = resolveHost(obj.spec.host, ns, services);
        if (!destinationRules.has(host)) destinationRules.set(host, obj);
        break;
      }
      case 'Sidecar':
        sidecars.push(obj);
        break;
      case 'RpcRoute':
        rpcRoutes.push(obj);
        break;
      default:
        break;
    }
  }

  // Delegation is resolved once here, so every builder sees plain VirtualServices.
  const delegation = mergeDelegates(virtualServices, (host, ns) => resolveHost(host, ns, services));
  const ctx: PushContext = {
    version: input.version,
    architecture: input.architecture,
    registryName: input.registryName ?? 'default',
    services,
    endpoints,
    virtualServices: delegation.virtualServices,
    delegationProblems: delegation.problems,
    destinationRules,
    sidecars,
    rpcRoutes,
  };
  builtFrom.set(ctx, { config: input.config, staticEndpoints, selectors });
  return ctx;
}

/**
 * The context after an endpoint-only change to `hosts`: `prev` with those hosts' endpoints recomputed
 * and everything else shared (services, config, and the memoized work keyed on them stays valid).
 * Undefined when the change is more than that (config replaced, a registry service appeared, vanished
 * or changed ports): the caller builds a whole context and pushes everything.
 */
export function updateEndpoints(
  prev: PushContext,
  input: PushContextInput,
  hosts: Iterable<string>,
): PushContext | undefined {
  const from = builtFrom.get(prev);
  if (!from || from.config !== input.config || prev.architecture !== input.architecture) return undefined;
  const endpoints = new Map(prev.endpoints);
  for (const host of hosts) {
    const service = prev.services.get(host);
    const list = input.instances.get(host) ?? [];
    if (!service) {
      if (list.length === 0) continue;
      return undefined;
    }
    if (service.origin === 'registry') {
      if (list.length === 0) return undefined;
      const ports = registryPorts(list);
      const same =
        ports.length === service.ports.length &&
        ports.every(
          (p, i) =>
            p.number === service.ports[i]?.number &&
            p.name === service.ports[i]?.name &&
            p.protocol === service.ports[i]?.protocol,
        );
      if (!same) return undefined;
    }
    endpoints.set(host, hostEndpoints(from.staticEndpoints.get(host), list, from.selectors.get(host)));
  }
  const next: PushContext = { ...prev, version: input.version, endpoints };
  builtFrom.set(next, from);
  return next;
}
