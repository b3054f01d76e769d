// @strait/registry: one Registry interface, its backends, and the helpers consumers need.
// Importing this module has no side effects: backends are registered by calling setup().

export { type InProcessOptions, InProcessRegistry } from './backends/embedded/in-process.js';
export { isRegistryError, RegistryError, type RegistryErrorCode, RegistryErrorCodes } from './errors.js';
export { instanceEqual, normalizeInstance } from './instance.js';
export { METRIC_NAMES, type MetricName, Metrics } from './metrics.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export * from './types.js';
export { type SnapshotSource, WatchChannel } from './watch/channel.js';
export {
  cellClosure,
  cellWatch,
  type CellPolicy,
  type CellViewEvent,
  type PrioritizedInstance,
  PRIORITY_CELL,
  PRIORITY_REGION,
  PRIORITY_GLOBAL,
} from './cell.js';
export { toClusterLoadAssignment, type EdsOptions, ENVOY_HEALTH, LB_METADATA_NAMESPACE } from './eds.js';
