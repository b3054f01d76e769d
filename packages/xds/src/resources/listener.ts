// LDS resources in the sidecar layout Istio uses: a virtual outbound listener on 15001 that hands
// connections to per-port listeners by original destination, a virtual inbound listener on 15006
// with a filter chain per service port, and the per-port outbound HTTP / TCP / Dubbo listeners.
import { pack } from '../codec/any.js';
import { HttpInspectorCodec, OriginalDstCodec } from '../codec/codecs.js';
import type { FilterChain, Listener, ListenerFilter } from '../codec/types.js';
import { envoy } from '../gen/protos.js';
import { ExtensionName } from '../type-urls.js';
import { socketAddress } from './common.js';
import {
  type DubboRouteConfigSpec,
  dubboProxyFilter,
  httpConnectionManagerFilter,
  tcpProxyFilter,
} from './filters.js';
import { inboundClusterName, listenerName, WellKnownNames } from './names.js';
import type { WeightedDestination } from './route.js';

const Direction = envoy.config.core.v3.TrafficDirection;

export const OUTBOUND_CAPTURE_PORT = 15001;
export const INBOUND_CAPTURE_PORT = 15006;

function originalDstFilter(): ListenerFilter {
  return { name: ExtensionName.OriginalDst, typedConfig: pack(OriginalDstCodec, {}) };
}

function httpInspectorFilter(): ListenerFilter {
  return { name: ExtensionName.HttpInspector, typedConfig: pack(HttpInspectorCodec, {}) };
}

/**
 * 0.0.0.0:15001, where iptables redirects outbound traffic. use_original_dst hands each connection to
 * the listener of its original destination; what no listener claims goes to PassthroughCluster.
 */
export function buildVirtualOutboundListener(
  options: { port?: number; passthroughCluster?: string } = {},
): Listener {
  const port = options.port ?? OUTBOUND_CAPTURE_PORT;
  const passthrough = options.passthroughCluster ?? WellKnownNames.PassthroughCluster;
  return {
    name: WellKnownNames.VirtualOutbound,
    address: socketAddress('0.0.0.0', port),
    trafficDirection: Direction.OUTBOUND,
    useOriginalDst: { value: true },
    listenerFilters: [originalDstFilter()],
    filterChains: [
      {
        name: `${WellKnownNames.VirtualOutbound}-catchall-tcp`,
        filters: [tcpProxyFilter({ statPrefix: passthrough, cluster: passthrough })],
      },
    ],
  };
}

export type InboundProtocol = 'http' | 'tcp' | 'dubbo';

export interface InboundPortSpec {
  port: number;
  protocol: InboundProtocol;
  /** Dubbo interfaces served on this port (protocol dubbo only). */
  dubboInterfaces?: string[];
}

function inboundChain(spec: InboundPortSpec): FilterChain {
  const cluster = inboundClusterName(spec.port);
  const statPrefix = cluster;
  let filter: envoy.config.listener.v3.Filter.$Properties;
  switch (spec.protocol) {
    case 'http':
      filter = httpConnectionManagerFilter({
        statPrefix: `inbound_0.0.0.0_${spec.port}`,
        routeConfig: {
          name: cluster,
          validateClusters: { value: false },
          virtualHosts: [
            {
              name: `inbound|http|${spec.port}`,
              domains: ['*'],
              routes: [
                { name: 'default', match: { prefix: '/' }, route: { cluster, timeout: { seconds: 0 } } },
              ],
            },
          ],
        },
      });
      break;
    case 'dubbo':
      filter = dubboProxyFilter({
        statPrefix,
        routeConfigs: (spec.dubboInterfaces ?? ['*']).map((iface) => ({
          interface: iface,
          routes: [{ cluster }],
        })),
      });
      break;
    default:
      filter = tcpProxyFilter({ statPrefix, cluster });
  }
  return {
    name: listenerName('0.0.0.0', spec.port),
    filterChainMatch: { destinationPort: { value: spec.port } },
    filters: [filter],
  };
}

/**
 * 0.0.0.0:15006, where iptables redirects inbound traffic: one filter chain per service port, matched
 * on the original destination port, plus a catch-all to InboundPassthroughCluster.
 */
export function buildVirtualInboundListener(spec: { ports: InboundPortSpec[]; port?: number }): Listener {
  return {
    name: WellKnownNames.VirtualInbound,
    address: socketAddress('0.0.0.0', spec.port ?? INBOUND_CAPTURE_PORT),
    trafficDirection: Direction.INBOUND,
    listenerFilters: [originalDstFilter(), httpInspectorFilter()],
    filterChains: [
      ...spec.ports.map(inboundChain),
      {
        name: `${WellKnownNames.VirtualInbound}-catchall-tcp`,
        filters: [
          tcpProxyFilter({
            statPrefix: WellKnownNames.InboundPassthroughCluster,
            cluster: WellKnownNames.InboundPassthroughCluster,
          }),
        ],
      },
    ],
  };
}

interface OutboundListenerCommon {
  port: number;
  /** Defaults to 0.0.0.0 (all services on this port share the listener, as in Istio). */
  address?: string;
  /**
   * False (default) for sidecars: the listener only receives connections handed over by the virtual
   * outbound listener. True for a proxy used without iptables.
   */
  bindToPort?: boolean;
}

function outboundListener(spec: OutboundListenerCommon, chain: FilterChain): Listener {
  const address = spec.address ?? '0.0.0.0';
  return {
    name: listenerName(address, spec.port),
    address: socketAddress(address, spec.port),
    trafficDirection: Direction.OUTBOUND,
    bindToPort: { value: spec.bindToPort ?? false },
    filterChains: [chain],
  };
}

/** Outbound HTTP on a port: HCM with routes fetched over ADS (route config named after the port). */
export function buildHttpListener(spec: OutboundListenerCommon & { routeConfigName?: string }): Listener {
  const address = spec.address ?? '0.0.0.0';
  return outboundListener(spec, {
    filters: [
      httpConnectionManagerFilter({
        statPrefix: `outbound_${listenerName(address, spec.port)}`,
        routeConfigName: spec.routeConfigName ?? String(spec.port),
      }),
    ],
  });
}

/** Outbound TCP to one service (or a weighted set): tcp_proxy straight to its clusters. */
export function buildTcpListener(
  spec: OutboundListenerCommon & { cluster?: string; weightedClusters?: WeightedDestination[] },
): Listener {
  const statPrefix = spec.cluster ?? `outbound_${listenerName(spec.address ?? '0.0.0.0', spec.port)}`;
  const tcp: Parameters<typeof tcpProxyFilter>[0] = { statPrefix };
  if (spec.cluster !== undefined) tcp.cluster = spec.cluster;
  if (spec.weightedClusters !== undefined) tcp.weightedClusters = spec.weightedClusters;
  return outboundListener(spec, { filters: [tcpProxyFilter(tcp)] });
}

/** Outbound Dubbo: dubbo_proxy with inline per-interface route configuration. */
export function buildDubboListener(
  spec: OutboundListenerCommon & { routeConfigs: DubboRouteConfigSpec[] },
): Listener {
  const statPrefix = `outbound_${listenerName(spec.address ?? '0.0.0.0', spec.port)}`;
  return outboundListener(spec, {
    filters: [dubboProxyFilter({ statPrefix, routeConfigs: spec.routeConfigs })],
  });
}
