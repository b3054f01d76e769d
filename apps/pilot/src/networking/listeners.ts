// LDS for sidecars: the capture listeners (15001 outbound with original destination, 15006 inbound)
// and one `0.0.0.0_PORT` listener per outbound port (HTTP: HCM with RDS named after the port; TLS/HTTPS:
// tls_inspector + SNI chains; TCP: tcp_proxy chains; Dubbo: dubbo_proxy), as Istio lays them out. Pure.
import { envoy } from '@strait/xds';
import type { ProxyInfo } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import { isHttpProtocol, isTlsProtocol, type Service, type ServicePort } from '../model/service.js';
import { httpFilters, listenerFilter, packHcm, packTcpProxy } from './any.js';
import { dubboProxyFilter, dubboRouteConfig } from './dubbo.js';
import { inboundServices } from './inbound.js';
import { tcpChains, tlsChains } from './l4-routes.js';
import {
  BLACKHOLE_CLUSTER,
  INBOUND_CAPTURE_PORT,
  INBOUND_PASSTHROUGH_CLUSTER,
  inboundClusterName,
  OUTBOUND_CAPTURE_PORT,
  PASSTHROUGH_CLUSTER,
  VIRTUAL_INBOUND,
  VIRTUAL_OUTBOUND,
} from './names.js';
import { servicesInScope, sidecarFor } from './scope.js';

export type Listener = envoy.config.listener.v3.Listener.$Properties;
type Filter = envoy.config.listener.v3.Filter.$Properties;
type FilterChain = envoy.config.listener.v3.FilterChain.$Properties;
const ADS_SOURCE = { ads: {}, resourceApiVersion: envoy.config.core.v3.ApiVersion.V3 };
const TrafficDirection = envoy.config.core.v3.TrafficDirection;

function socket(address: string, port: number): envoy.config.core.v3.Address.$Properties {
  return { socketAddress: { address, portValue: port } };
}

function tcpProxy(statPrefix: string, cluster: string): Filter {
  return { name: 'envoy.filters.network.tcp_proxy', typedConfig: packTcpProxy({ statPrefix, cluster }) };
}

export function hcmRds(statPrefix: string, routeConfigName: string): Filter {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: packHcm({
      statPrefix,
      rds: { configSource: ADS_SOURCE, routeConfigName },
      httpFilters: httpFilters({ cors: true }),
    }),
  };
}

/** Whether unknown destinations pass through (ALLOW_ANY, Istio's default) or are dropped. */
export function passthroughCluster(ctx: PushContext, proxy: ProxyInfo): string {
  return sidecarFor(ctx, proxy)?.spec.outboundTrafficPolicy?.mode === 'REGISTRY_ONLY'
    ? BLACKHOLE_CLUSTER
    : PASSTHROUGH_CLUSTER;
}

/** Outbound ports in scope: port → services on it (sorted by host). */
export function outboundPorts(
  ctx: PushContext,
  proxy: ProxyInfo,
): Map<number, { service: Service; port: ServicePort }[]> {
  const byPort = new Map<number, { service: Service; port: ServicePort }[]>();
  for (const service of servicesInScope(ctx, proxy)) {
    for (const port of service.ports) {
      const list = byPort.get(port.number) ?? [];
      list.push({ service, port });
      byPort.set(port.number, list);
    }
  }
  return byPort;
}

function outboundListener(
  ctx: PushContext,
  proxy: ProxyInfo,
  portNumber: number,
  entries: { service: Service; port: ServicePort }[],
): Listener {
  const name = `0.0.0.0_${portNumber}`;
  const first = entries[0]!;
  const listener: Listener = {
    name,
    address: socket('0.0.0.0', portNumber),
    bindToPort: { value: false },
    trafficDirection: TrafficDirection.OUTBOUND,
  };
  let filters: Filter[];
  if (entries.some((e) => isHttpProtocol(e.port.protocol))) {
    filters = [hcmRds(`outbound_${name}`, String(portNumber))];
  } else if (entries.some((e) => e.port.protocol === 'DUBBO')) {
    const configs = entries
      .filter((e) => e.port.protocol === 'DUBBO')
      .map((e) => dubboRouteConfig(ctx, proxy, e.service, e.port, ctx.rpcRoutes));
    filters = [dubboProxyFilter(`outbound_${name}`, configs)];
  } else if (entries.some((e) => isTlsProtocol(e.port.protocol))) {
    return tlsListener(ctx, proxy, listener, portNumber, entries);
  } else {
    // Without VIPs one 0.0.0.0 TCP port can carry only one service: the first by host wins, as in Istio.
    return {
      ...listener,
      filterChains: tcpChains(ctx, proxy, first.service, portNumber, `outbound_${name}`),
    };
  }
  return { ...listener, filterChains: [{ filters }] };
}

/**
 * A TLS/HTTPS port, as Istio builds it: the TLS inspector reads the ClientHello; the TLS services' SNI
 * chains come first (l4-routes.ts), then the TCP chains of the port's service (the first by host, as
 * for TCP ports): its applicable `tcp` routes, else its own cluster. So what no SNI chain matches
 * (another SNI, no SNI, plain bytes) reaches the service itself. Every chain matches the port, so no
 * chain outranks another on that stage.
 */
function tlsListener(
  ctx: PushContext,
  proxy: ProxyInfo,
  listener: Listener,
  portNumber: number,
  entries: { service: Service; port: ServicePort }[],
): Listener {
  const statPrefix = `outbound_${listener.name}`;
  const tls = entries.filter((e) => isTlsProtocol(e.port.protocol)).map((e) => e.service);
  const port = { destinationPort: { value: portNumber } };
  return {
    ...listener,
    listenerFilters: [listenerFilter('tls_inspector')],
    filterChains: [
      ...tlsChains(ctx, proxy, tls, portNumber, statPrefix),
      ...tcpChains(ctx, proxy, entries[0]!.service, portNumber, statPrefix, port),
    ],
  };
}

function virtualOutbound(ctx: PushContext, proxy: ProxyInfo): Listener {
  return {
    name: VIRTUAL_OUTBOUND,
    address: socket('0.0.0.0', OUTBOUND_CAPTURE_PORT),
    useOriginalDst: { value: true },
    trafficDirection: TrafficDirection.OUTBOUND,
    listenerFilters: [listenerFilter('original_dst')],
    filterChains: [
      {
        name: 'PassthroughFilterChain',
        filters: [tcpProxy(PASSTHROUGH_CLUSTER, passthroughCluster(ctx, proxy))],
      },
    ],
  };
}

function virtualInbound(ctx: PushContext, proxy: ProxyInfo): Listener {
  const chains: FilterChain[] = [];
  for (const { port, targetPort } of inboundServices(ctx, proxy)) {
    const cluster = inboundClusterName(targetPort);
    const filter: Filter = isHttpProtocol(port.protocol)
      ? {
          name: 'envoy.filters.network.http_connection_manager',
          typedConfig: packHcm({
            statPrefix: cluster,
            routeConfig: {
              name: cluster,
              virtualHosts: [
                {
                  name: 'inbound|http',
                  domains: ['*'],
                  routes: [
                    {
                      name: 'default',
                      match: { prefix: '/' },
                      route: { cluster, timeout: { seconds: 0, nanos: 0 } },
                    },
                  ],
                },
              ],
            },
            httpFilters: httpFilters({ cors: true }),
          }),
        }
      : tcpProxy(cluster, cluster);
    chains.push({
      name: cluster,
      filterChainMatch: { destinationPort: { value: targetPort } },
      filters: [filter],
    });
  }
  chains.push({
    name: 'InboundPassthroughFilterChain',
    filters: [tcpProxy(INBOUND_PASSTHROUGH_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER)],
  });
  return {
    name: VIRTUAL_INBOUND,
    address: socket('0.0.0.0', INBOUND_CAPTURE_PORT),
    useOriginalDst: { value: true },
    trafficDirection: TrafficDirection.INBOUND,
    listenerFilters: [listenerFilter('original_dst'), listenerFilter('http_inspector')],
    filterChains: chains,
  };
}

export function buildSidecarListeners(ctx: PushContext, proxy: ProxyInfo): Listener[] {
  const out = [virtualOutbound(ctx, proxy), virtualInbound(ctx, proxy)];
  const ports = outboundPorts(ctx, proxy);
  for (const portNumber of [...ports.keys()].sort((a, b) => a - b)) {
    out.push(outboundListener(ctx, proxy, portNumber, ports.get(portNumber)!));
  }
  return out;
}
