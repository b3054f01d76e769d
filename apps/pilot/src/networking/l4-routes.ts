// VirtualService `tcp` and `tls` routes to the filter chains of an outbound port listener, following
// Istio's sidecar rules: a match applies to this proxy by port, sourceLabels, sourceNamespace and
// gateways ("mesh"); `destinationSubnets` become destination prefix ranges; one destination is a plain
// tcp_proxy cluster, several are weighted_clusters. TLS matches route by SNI (server_names with
// transport_protocol "tls"); a TLS service no route applies to is reached by SNI = its host. Pure.
import type { L4MatchAttributes, RouteDestination, TLSMatchAttributes, VirtualService } from '@strait/config';
import type { envoy } from '@strait/xds';
import type { ProxyInfo } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import { isTlsProtocol, labelsMatch, type PortProtocol, type Service } from '../model/service.js';
import { packTcpProxy } from './any.js';
import { clusterName } from './names.js';
import type { NotApplied } from './not-applied.js';
import { destinationCluster, virtualServicesFor } from './routes.js';
import { weightedClusters } from './weights.js';

type Filter = envoy.config.listener.v3.Filter.$Properties;
type FilterChain = envoy.config.listener.v3.FilterChain.$Properties;
type FilterChainMatch = envoy.config.listener.v3.FilterChainMatch.$Properties;
type CidrRange = envoy.config.core.v3.CidrRange.$Properties;
type TcpProxy = envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.$Properties;

/** Istio's matchTCP/matchTLS for a sidecar: every condition a match sets must hold for this proxy. */
export function l4MatchApplies(
  m: L4MatchAttributes | TLSMatchAttributes,
  proxy: ProxyInfo,
  port: number,
): boolean {
  return (
    (m.port === undefined || m.port === port) &&
    (!m.sourceLabels || labelsMatch(m.sourceLabels, proxy.labels)) &&
    (m.sourceNamespace === undefined || m.sourceNamespace === proxy.namespace) &&
    (!m.gateways || m.gateways.length === 0 || m.gateways.includes('mesh'))
  );
}

/** "10.0.0.0/8" or a bare address (a host route: /32, /128). Validation already checked the syntax. */
export function cidrRange(subnet: string): CidrRange {
  const [address = '', len] = subnet.split('/');
  const max = address.includes(':') ? 128 : 32;
  return { addressPrefix: address, prefixLen: { value: len === undefined ? max : Number(len) } };
}

export function tcpProxyFilter(config: TcpProxy): Filter {
  return { name: 'envoy.filters.network.tcp_proxy', typedConfig: packTcpProxy(config) };
}

/**
 * tcp_proxy to a route's destinations: one destination is its cluster whatever its weight (Istio);
 * several are weighted_clusters without the zero-weight ones. Undefined when no destination names a
 * cluster that exists (the route is skipped, as for HTTP routes).
 */
export function routeTcpProxy(
  ctx: PushContext,
  vs: VirtualService,
  route: readonly RouteDestination[] | undefined,
  port: number,
  statPrefix: string,
): Filter | undefined {
  const dests = weightedClusters(
    (route ?? []).map((d) => ({
      cluster: destinationCluster(ctx, vs, d.destination, port, false),
      weight: d.weight,
    })),
  );
  if (dests.length === 0) return undefined;
  if (dests.length === 1)
    return tcpProxyFilter({ statPrefix: dests[0]!.cluster, cluster: dests[0]!.cluster });
  return tcpProxyFilter({
    statPrefix,
    weightedClusters: { clusters: dests.map((d) => ({ name: d.cluster, weight: d.weight })) },
  });
}

/** A chain, without a filter_chain_match when it matches everything (as Istio emits it). */
function withMatch(match: FilterChainMatch, filters: Filter[]): FilterChain {
  return Object.keys(match).length > 0 ? { filterChainMatch: match, filters } : { filters };
}

function serviceChain(service: Service, port: number, match: FilterChainMatch): FilterChain {
  const cluster = clusterName({ direction: 'outbound', port, host: service.hostname });
  return withMatch(match, [tcpProxyFilter({ statPrefix: cluster, cluster })]);
}

/**
 * Chains for a TCP service (Istio's buildSidecarOutboundTCPFilterChainOpts): routes in VirtualService
 * order; an applicable match with destinationSubnets adds a chain on those prefixes; a route without
 * matches, or an applicable match without subnets, is the catch-all and ends the search. Without one,
 * the service's own cluster is the catch-all. `base` is added to every chain's match.
 */
export function tcpChains(
  ctx: PushContext,
  proxy: ProxyInfo,
  service: Service,
  port: number,
  statPrefix: string,
  base: FilterChainMatch = {},
): FilterChain[] {
  const chains: FilterChain[] = [];
  const seen = new Set<string>();
  const add = (subnets: string[], filter: Filter) => {
    const prefixRanges = subnets.map(cidrRange);
    const key = JSON.stringify(prefixRanges);
    if (seen.has(key)) return; // an earlier route already owns exactly these prefixes
    seen.add(key);
    const match: FilterChainMatch = prefixRanges.length > 0 ? { ...base, prefixRanges } : { ...base };
    chains.push(withMatch(match, [filter]));
  };
  let catchAll = false;
  routes: for (const vs of virtualServicesFor(ctx, service.hostname)) {
    for (const rule of vs.spec.tcp ?? []) {
      const filter = routeTcpProxy(ctx, vs, rule.route, port, statPrefix);
      if (!filter) continue;
      const ms = rule.match ?? [];
      if (ms.length === 0) {
        add([], filter);
        catchAll = true;
        break routes;
      }
      const subnets: string[] = [];
      for (const m of ms) {
        if (!l4MatchApplies(m, proxy, port)) continue;
        if (!m.destinationSubnets || m.destinationSubnets.length === 0) {
          if (subnets.length > 0) add(subnets, filter);
          add([], filter);
          catchAll = true;
          break routes;
        }
        subnets.push(...m.destinationSubnets);
      }
      if (subnets.length > 0) add(subnets, filter);
    }
  }
  if (!catchAll) chains.push(serviceChain(service, port, { ...base }));
  return chains;
}

/**
 * Chains for the TLS/HTTPS services on one port (Istio's outbound TLS filter chains): each applicable
 * `tls` match is a chain on its sniHosts (plus destinationSubnets); a service with no applicable match
 * gets a chain on SNI = its host to its own cluster. A server name an earlier chain (with the same
 * subnets) already claims is left out of later ones: Envoy rejects two chains matching one name, and
 * the first match is the one VirtualService order means. Every chain matches transport_protocol "tls"
 * and the port.
 */
export function tlsChains(
  ctx: PushContext,
  proxy: ProxyInfo,
  services: readonly Service[],
  port: number,
  statPrefix: string,
): FilterChain[] {
  const chains: FilterChain[] = [];
  const claimed = new Set<string>();
  const add = (names: string[], subnets: string[], filter: Filter) => {
    const prefixRanges = subnets.map(cidrRange);
    const scope = JSON.stringify(prefixRanges);
    // "*" matches any SNI: the chain has no server_names at all.
    const any = names.includes('*');
    const fresh = any
      ? []
      : [...new Set(names.map((n) => n.toLowerCase()))].filter((n) => !claimed.has(`${scope} ${n}`));
    if (any ? claimed.has(`${scope} *`) : fresh.length === 0) return;
    for (const n of any ? ['*'] : fresh) claimed.add(`${scope} ${n}`);
    const match: FilterChainMatch = { destinationPort: { value: port }, transportProtocol: 'tls' };
    if (fresh.length > 0) match.serverNames = fresh;
    if (prefixRanges.length > 0) match.prefixRanges = prefixRanges;
    chains.push({ filterChainMatch: match, filters: [filter] });
  };
  const routed = new Set<Service>();
  for (const service of services) {
    for (const vs of virtualServicesFor(ctx, service.hostname)) {
      for (const rule of vs.spec.tls ?? []) {
        const filter = routeTcpProxy(ctx, vs, rule.route, port, statPrefix);
        for (const m of rule.match ?? []) {
          if (!l4MatchApplies(m, proxy, port)) continue;
          routed.add(service);
          if (filter) add(m.sniHosts, m.destinationSubnets ?? [], filter);
        }
      }
    }
  }
  for (const service of services) {
    if (routed.has(service)) continue;
    const cluster = clusterName({ direction: 'outbound', port, host: service.hostname });
    add([service.hostname], [], tcpProxyFilter({ statPrefix: cluster, cluster }));
  }
  return chains;
}

/**
 * `tls` routes apply only to TLS/HTTPS ports, `tcp` routes only to TCP/TLS/HTTPS ports (Istio). A
 * mesh VirtualService whose services have no such port has routes that never take effect: listed so
 * the user learns it (a VirtualService naming no known service is not listed: it may be for later).
 */
export function unusedL4Routes(ctx: PushContext): NotApplied[] {
  const out: NotApplied[] = [];
  const kinds = [
    { key: 'tls', fits: (p: PortProtocol) => isTlsProtocol(p), ports: 'TLS or HTTPS' },
    { key: 'tcp', fits: (p: PortProtocol) => p === 'TCP' || isTlsProtocol(p), ports: 'TCP, TLS or HTTPS' },
  ] as const;
  const bound = new Map<VirtualService, Service[]>();
  for (const service of ctx.services.values()) {
    for (const vs of virtualServicesFor(ctx, service.hostname))
      bound.set(vs, [...(bound.get(vs) ?? []), service]);
  }
  for (const [vs, services] of bound) {
    for (const k of kinds) {
      const routes = vs.spec[k.key] ?? [];
      if (routes.length === 0 || services.some((s) => s.ports.some((p) => k.fits(p.protocol)))) continue;
      out.push({
        object: `VirtualService/${vs.metadata.namespace ?? 'default'}/${vs.metadata.name}`,
        field: `spec.${k.key}`,
        reason: `${k.key} routes apply only to ${k.ports} ports, and none of ${services
          .map((s) => s.hostname)
          .join(', ')} has one`,
      });
    }
  }
  return out;
}
