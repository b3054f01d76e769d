// @strait/registry: one Registry interface, its backends, and the helpers consumers need.
// Importing this module has no side effects: backends are registered by calling setup().

export { RemoteRegistry, type RemoteRegistryOptions } from './backends/embedded/client.js';
export { type InProcessOptions, InProcessRegistry } from './backends/embedded/in-process.js';
export { EtcdRegistry, type EtcdRegistryOptions } from './backends/etcd/etcd.js';
export type { KubernetesRegistry, KubernetesRegistryOptions } from './backends/kubernetes/index.js';
export {
  createZooKeeperRegistry,
  parseZooKeeperUrl,
  type ZooKeeperOptions,
  ZooKeeperRegistry,
} from './backends/zookeeper/index.js';
export {
  type CellPolicy,
  type CellViewEvent,
  cellClosure,
  cellWatch,
  PRIORITY_CELL,
  PRIORITY_GLOBAL,
  PRIORITY_REGION,
  type PrioritizedInstance,
} from './cell.js';
export { type EdsOptions, ENVOY_HEALTH, LB_METADATA_NAMESPACE, toClusterLoadAssignment } from './eds.js';
export { isRegistryError, RegistryError, type RegistryErrorCode, RegistryErrorCodes } from './errors.js';
export { instanceEqual, normalizeInstance } from './instance.js';
export { METRIC_NAMES, type MetricName, Metrics } from './metrics.js';
export { RegistryServer, type RegistryServerOptions } from './server/server.js';
export { setup } from './setup.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export * from './types.js';
export {
  type BackendFactory,
  checkParams,
  type HostPort,
  intParam,
  openRegistry,
  parseRegistryUrl,
  type RegistryTarget,
  registerBackend,
  registeredSchemes,
  registerUrlBackend,
} from './url.js';
export { type SnapshotSource, WatchChannel } from './watch/channel.js';
