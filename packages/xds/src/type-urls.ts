// Type URLs as xDS puts them on the wire: in DiscoveryRequest.type_url, in Any.type_url and in the
// typed_config of every extension. Spelled out once here so a typo is a compile error, not a silent
// "no resources" on a stream.

const PREFIX = 'type.googleapis.com/';

/** `type.googleapis.com/<full message name>`. */
export function typeUrlOf(fullName: string): string {
  return PREFIX + fullName;
}

/** The full message name a type URL carries (everything after the last `/`), as Any resolution does. */
export function typeNameOf(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf('/');
  return slash === -1 ? typeUrl : typeUrl.slice(slash + 1);
}

export const TypeUrl = {
  // Resources the pilot serves (LDS, RDS, CDS, EDS, SDS, SRDS, VHDS).
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  ScopedRouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration',
  VirtualHost: 'type.googleapis.com/envoy.config.route.v3.VirtualHost',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  // Network filters.
  HttpConnectionManager:
    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  TcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  DubboProxy: 'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy',
  DubboRouteConfiguration:
    'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.RouteConfiguration',
  DubboMultipleRouteConfiguration:
    'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.MultipleRouteConfiguration',
  // HTTP filters.
  Router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  Fault: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  // Listener filters.
  OriginalDst: 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  HttpInspector: 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector',
  TlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  // Transport sockets and cluster extensions.
  UpstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  DownstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  HttpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  AggregateClusterConfig: 'type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig',
  RegistryCluster: 'type.googleapis.com/strait.clusters.registry.v1alpha1.RegistryCluster',
  // The discovery protocol itself.
  DiscoveryRequest: 'type.googleapis.com/envoy.service.discovery.v3.DiscoveryRequest',
  DiscoveryResponse: 'type.googleapis.com/envoy.service.discovery.v3.DiscoveryResponse',
  DeltaDiscoveryRequest: 'type.googleapis.com/envoy.service.discovery.v3.DeltaDiscoveryRequest',
  DeltaDiscoveryResponse: 'type.googleapis.com/envoy.service.discovery.v3.DeltaDiscoveryResponse',
  Resource: 'type.googleapis.com/envoy.service.discovery.v3.Resource',
  Bootstrap: 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap',
} as const;

export type KnownTypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/** Extension names Envoy looks filters and cluster types up by (the `name` beside `typed_config`). */
export const ExtensionName = {
  HttpConnectionManager: 'envoy.filters.network.http_connection_manager',
  TcpProxy: 'envoy.filters.network.tcp_proxy',
  DubboProxy: 'envoy.filters.network.dubbo_proxy',
  Router: 'envoy.filters.http.router',
  Fault: 'envoy.filters.http.fault',
  Cors: 'envoy.filters.http.cors',
  OriginalDst: 'envoy.filters.listener.original_dst',
  HttpInspector: 'envoy.filters.listener.http_inspector',
  TlsInspector: 'envoy.filters.listener.tls_inspector',
  RegistryCluster: 'strait.clusters.registry',
  AggregateCluster: 'envoy.clusters.aggregate',
  HttpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;
