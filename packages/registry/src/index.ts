// @strait/registry: one Registry interface, its backends, and the helpers consumers need.
// Importing this module has no side effects: backends are registered by calling setup().
export * from './types.js';
export { RegistryError, RegistryErrorCodes, type RegistryErrorCode, isRegistryError } from './errors.js';
export { normalizeInstance, instanceEqual } from './instance.js';
export { Metrics, METRIC_NAMES, type MetricName } from './metrics.js';
export { WatchChannel, type SnapshotSource } from './watch/channel.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { InProcessRegistry, type InProcessOptions } from './backends/embedded/in-process.js';
