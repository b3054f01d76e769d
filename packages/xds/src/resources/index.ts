export {
  buildBlackHoleCluster,
  buildEdsCluster,
  buildOriginalDstCluster,
  buildRegistryCluster,
  buildStaticCluster,
  type CellMode,
  type ClusterCommon,
  type LoadBalancer,
  type RegistryClusterSpec,
} from './cluster.js';
export { adsConfigSource, durationMs, socketAddress } from './common.js';
export {
  buildClusterLoadAssignment,
  type ClusterLoadAssignmentSpec,
  type EndpointSpec,
  type HealthStatus,
  type LocalitySpec,
} from './endpoint.js';
export {
  type DubboMethodMatch,
  type DubboProxySpec,
  type DubboRouteConfigSpec,
  type DubboRouteSpec,
  dubboProxyFilter,
  dubboRouteConfiguration,
  type HttpConnectionManagerSpec,
  httpConnectionManagerFilter,
  routerHttpFilter,
  type TcpProxySpec,
  tcpProxyFilter,
} from './filters.js';
export {
  buildDubboListener,
  buildHttpListener,
  buildTcpListener,
  buildVirtualInboundListener,
  buildVirtualOutboundListener,
  INBOUND_CAPTURE_PORT,
  type InboundPortSpec,
  type InboundProtocol,
  OUTBOUND_CAPTURE_PORT,
} from './listener.js';
export {
  type ClusterKey,
  clusterHost,
  clusterName,
  inboundClusterName,
  listenerName,
  parseClusterName,
  type TrafficDirection,
  WellKnownNames,
} from './names.js';
export {
  buildRoute,
  buildRouteConfiguration,
  buildVirtualHost,
  DEFAULT_RETRY_ON,
  type HeaderMatchSpec,
  type PathMatchSpec,
  type RetrySpec,
  type RouteConfigurationSpec,
  type RouteSpec,
  serviceDomains,
  type VirtualHostSpec,
  type WeightedDestination,
} from './route.js';
