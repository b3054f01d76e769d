// Short names for the generated message shapes Strait works with. The `$Properties` interfaces are what
// builders produce and encode accepts (plain objects, everything optional); decode returns the classes.
import type { envoy, google, strait } from '../gen/protos.js';

export type Listener = envoy.config.listener.v3.Listener.$Properties;
export type FilterChain = envoy.config.listener.v3.FilterChain.$Properties;
export type Filter = envoy.config.listener.v3.Filter.$Properties;
export type ListenerFilter = envoy.config.listener.v3.ListenerFilter.$Properties;
export type RouteConfiguration = envoy.config.route.v3.RouteConfiguration.$Properties;
export type VirtualHost = envoy.config.route.v3.VirtualHost.$Properties;
export type Route = envoy.config.route.v3.Route.$Properties;
export type RouteMatch = envoy.config.route.v3.RouteMatch.$Properties;
export type RouteAction = envoy.config.route.v3.RouteAction.$Properties;
export type HeaderMatcher = envoy.config.route.v3.HeaderMatcher.$Properties;
export type RetryPolicy = envoy.config.route.v3.RetryPolicy.$Properties;
export type ScopedRouteConfiguration = envoy.config.route.v3.ScopedRouteConfiguration.$Properties;
export type Cluster = envoy.config.cluster.v3.Cluster.$Properties;
export type ClusterLoadAssignment = envoy.config.endpoint.v3.ClusterLoadAssignment.$Properties;
export type LocalityLbEndpoints = envoy.config.endpoint.v3.LocalityLbEndpoints.$Properties;
export type LbEndpoint = envoy.config.endpoint.v3.LbEndpoint.$Properties;
export type Address = envoy.config.core.v3.Address.$Properties;
export type ConfigSource = envoy.config.core.v3.ConfigSource.$Properties;
export type Secret = envoy.extensions.transport_sockets.tls.v3.Secret.$Properties;
export type UpstreamTlsContext = envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.$Properties;
export type HttpConnectionManager =
  envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.$Properties;
export type HttpFilter = envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.$Properties;
export type Router = envoy.extensions.filters.http.router.v3.Router.$Properties;
export type TcpProxy = envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.$Properties;
export type DubboProxy = envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy.$Properties;
export type DubboRouteConfiguration =
  envoy.extensions.filters.network.dubbo_proxy.v3.RouteConfiguration.$Properties;
export type DubboRoute = envoy.extensions.filters.network.dubbo_proxy.v3.Route.$Properties;
export type OriginalDst = envoy.extensions.filters.listener.original_dst.v3.OriginalDst.$Properties;
export type HttpInspector = envoy.extensions.filters.listener.http_inspector.v3.HttpInspector.$Properties;
export type TlsInspector = envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.$Properties;
export type HttpFault = envoy.extensions.filters.http.fault.v3.HTTPFault.$Properties;
export type Cors = envoy.extensions.filters.http.cors.v3.Cors.$Properties;
export type CorsPolicy = envoy.config.route.v3.CorsPolicy.$Properties;
export type HttpProtocolOptions = envoy.extensions.upstreams.http.v3.HttpProtocolOptions.$Properties;
export type RegistryCluster = strait.clusters.registry.v1alpha1.RegistryCluster.$Properties;
export type DiscoveryRequest = envoy.service.discovery.v3.DiscoveryRequest.$Properties;
export type DiscoveryResponse = envoy.service.discovery.v3.DiscoveryResponse.$Properties;
export type DeltaDiscoveryRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties;
export type DeltaDiscoveryResponse = envoy.service.discovery.v3.DeltaDiscoveryResponse.$Properties;
export type Any = google.protobuf.Any.$Properties;
export type Duration = google.protobuf.Duration.$Properties;
