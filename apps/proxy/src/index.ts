export { loadBootstrapFile, parseBootstrap } from './config/bootstrap.js';
export {
  type ConfigIssue,
  formatIssue,
  PROXY_CODES,
  type ProxyCode,
  ProxyError,
  type Translation,
} from './errors.js';
export {
  type NetworkFilterFactory,
  type NetworkFilterInstance,
  registerNetworkFilter,
} from './filters/registry.js';
export { type BootstrapModel, translateBootstrap } from './model/bootstrap.js';
export { type ClusterModel, translateCluster } from './model/cluster.js';
export { type LoadAssignmentModel, translateLoadAssignment } from './model/endpoint.js';
export { type ListenerModel, translateListener } from './model/listener.js';
export { type RouteTableModel, translateRouteConfiguration } from './model/route.js';
export { type ApplyResult, type ProxyOptions, type ServerState, StraitProxy } from './proxy.js';
export { setup } from './setup.js';
export { registerLb } from './upstream/lb/index.js';
