// One codec per xDS type Strait reads or writes (the grpc-js-xds "one decoder per type" shape), each
// carrying its type URL. Anything else the generated protos define is still reachable by type URL
// through the registry.
import { envoy, google, strait } from '../gen/protos.js';
import { createCodec, type MessageCodec } from './codec.js';
import {
  fastDecodeClusterLoadAssignment,
  fastEncodeClusterLoadAssignment,
} from './fast/cluster-load-assignment.js';
import type * as T from './types.js';

const listener = envoy.config.listener.v3;
const route = envoy.config.route.v3;
const discovery = envoy.service.discovery.v3;
const dubbo = envoy.extensions.filters.network.dubbo_proxy.v3;

export const ListenerCodec: MessageCodec<envoy.config.listener.v3.Listener, T.Listener> = createCodec(
  'envoy.config.listener.v3.Listener',
  listener.Listener,
);
export const RouteConfigurationCodec: MessageCodec<
  envoy.config.route.v3.RouteConfiguration,
  T.RouteConfiguration
> = createCodec('envoy.config.route.v3.RouteConfiguration', route.RouteConfiguration);
export const ScopedRouteConfigurationCodec: MessageCodec<
  envoy.config.route.v3.ScopedRouteConfiguration,
  T.ScopedRouteConfiguration
> = createCodec('envoy.config.route.v3.ScopedRouteConfiguration', route.ScopedRouteConfiguration);
export const ClusterCodec: MessageCodec<envoy.config.cluster.v3.Cluster, T.Cluster> = createCodec(
  'envoy.config.cluster.v3.Cluster',
  envoy.config.cluster.v3.Cluster,
);
export const ClusterLoadAssignmentCodec: MessageCodec<
  envoy.config.endpoint.v3.ClusterLoadAssignment,
  T.ClusterLoadAssignment
> = createCodec(
  'envoy.config.endpoint.v3.ClusterLoadAssignment',
  envoy.config.endpoint.v3.ClusterLoadAssignment,
  {
    // EDS at scale: one message can hold every endpoint of a service (docs/benchmarks/xds-codec.md).
    encode: fastEncodeClusterLoadAssignment,
    decode: fastDecodeClusterLoadAssignment,
  },
);
export const SecretCodec: MessageCodec<envoy.extensions.transport_sockets.tls.v3.Secret, T.Secret> =
  createCodec(
    'envoy.extensions.transport_sockets.tls.v3.Secret',
    envoy.extensions.transport_sockets.tls.v3.Secret,
  );
export const UpstreamTlsContextCodec: MessageCodec<
  envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext,
  T.UpstreamTlsContext
> = createCodec(
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext,
);
export const HttpConnectionManagerCodec: MessageCodec<
  envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager,
  T.HttpConnectionManager
> = createCodec(
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager,
);
export const RouterCodec: MessageCodec<envoy.extensions.filters.http.router.v3.Router, T.Router> =
  createCodec(
    'envoy.extensions.filters.http.router.v3.Router',
    envoy.extensions.filters.http.router.v3.Router,
  );
export const TcpProxyCodec: MessageCodec<envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, T.TcpProxy> =
  createCodec(
    'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy,
  );
export const DubboProxyCodec: MessageCodec<
  envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy,
  T.DubboProxy
> = createCodec('envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy', dubbo.DubboProxy);
export const DubboRouteConfigurationCodec: MessageCodec<
  envoy.extensions.filters.network.dubbo_proxy.v3.RouteConfiguration,
  T.DubboRouteConfiguration
> = createCodec(
  'envoy.extensions.filters.network.dubbo_proxy.v3.RouteConfiguration',
  dubbo.RouteConfiguration,
);
export const OriginalDstCodec: MessageCodec<
  envoy.extensions.filters.listener.original_dst.v3.OriginalDst,
  T.OriginalDst
> = createCodec(
  'envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  envoy.extensions.filters.listener.original_dst.v3.OriginalDst,
);
export const HttpInspectorCodec: MessageCodec<
  envoy.extensions.filters.listener.http_inspector.v3.HttpInspector,
  T.HttpInspector
> = createCodec(
  'envoy.extensions.filters.listener.http_inspector.v3.HttpInspector',
  envoy.extensions.filters.listener.http_inspector.v3.HttpInspector,
);
export const TlsInspectorCodec: MessageCodec<
  envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector,
  T.TlsInspector
> = createCodec(
  'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector,
);
export const HttpFaultCodec: MessageCodec<envoy.extensions.filters.http.fault.v3.HTTPFault, T.HttpFault> =
  createCodec(
    'envoy.extensions.filters.http.fault.v3.HTTPFault',
    envoy.extensions.filters.http.fault.v3.HTTPFault,
  );
export const CorsCodec: MessageCodec<envoy.extensions.filters.http.cors.v3.Cors, T.Cors> = createCodec(
  'envoy.extensions.filters.http.cors.v3.Cors',
  envoy.extensions.filters.http.cors.v3.Cors,
);
/** The per-route CORS policy, packed into typed_per_filter_config["envoy.filters.http.cors"]. */
export const CorsPolicyCodec: MessageCodec<envoy.config.route.v3.CorsPolicy, T.CorsPolicy> = createCodec(
  'envoy.config.route.v3.CorsPolicy',
  route.CorsPolicy,
);
export const HttpProtocolOptionsCodec: MessageCodec<
  envoy.extensions.upstreams.http.v3.HttpProtocolOptions,
  T.HttpProtocolOptions
> = createCodec(
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  envoy.extensions.upstreams.http.v3.HttpProtocolOptions,
);
export const RegistryClusterCodec: MessageCodec<
  strait.clusters.registry.v1alpha1.RegistryCluster,
  T.RegistryCluster
> = createCodec(
  'strait.clusters.registry.v1alpha1.RegistryCluster',
  strait.clusters.registry.v1alpha1.RegistryCluster,
);
export const DiscoveryRequestCodec: MessageCodec<
  envoy.service.discovery.v3.DiscoveryRequest,
  T.DiscoveryRequest
> = createCodec('envoy.service.discovery.v3.DiscoveryRequest', discovery.DiscoveryRequest);
export const DiscoveryResponseCodec: MessageCodec<
  envoy.service.discovery.v3.DiscoveryResponse,
  T.DiscoveryResponse
> = createCodec('envoy.service.discovery.v3.DiscoveryResponse', discovery.DiscoveryResponse);
export const DeltaDiscoveryRequestCodec: MessageCodec<
  envoy.service.discovery.v3.DeltaDiscoveryRequest,
  T.DeltaDiscoveryRequest
> = createCodec('envoy.service.discovery.v3.DeltaDiscoveryRequest', discovery.DeltaDiscoveryRequest);
export const DeltaDiscoveryResponseCodec: MessageCodec<
  envoy.service.discovery.v3.DeltaDiscoveryResponse,
  T.DeltaDiscoveryResponse
> = createCodec('envoy.service.discovery.v3.DeltaDiscoveryResponse', discovery.DeltaDiscoveryResponse);
export const AnyCodec: MessageCodec<google.protobuf.Any, T.Any> = createCodec(
  'google.protobuf.Any',
  google.protobuf.Any,
);

/** Every named codec, registered by type URL in the default registry. */
export const KNOWN_CODECS: readonly MessageCodec<unknown, never>[] = [
  ListenerCodec,
  RouteConfigurationCodec,
  ScopedRouteConfigurationCodec,
  ClusterCodec,
  ClusterLoadAssignmentCodec,
  SecretCodec,
  UpstreamTlsContextCodec,
  HttpConnectionManagerCodec,
  RouterCodec,
  TcpProxyCodec,
  DubboProxyCodec,
  DubboRouteConfigurationCodec,
  OriginalDstCodec,
  HttpInspectorCodec,
  TlsInspectorCodec,
  HttpFaultCodec,
  CorsCodec,
  CorsPolicyCodec,
  HttpProtocolOptionsCodec,
  RegistryClusterCodec,
  DiscoveryRequestCodec,
  DiscoveryResponseCodec,
  DeltaDiscoveryRequestCodec,
  DeltaDiscoveryResponseCodec,
  AnyCodec,
];
