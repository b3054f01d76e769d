// The one wiring point (as grpc-js-xds's register()): each backend exports setup(), called from here.
// Nothing registers itself on import.
import { setup as setupEmbedded } from './backends/embedded/setup.js';
import { setup as setupEtcd } from './backends/etcd/setup.js';

/**
 * Registers the built-in backends for openRegistry(): `embedded://`, `etcd://`.
 * ZooKeeper: its engineer adds `setupZooKeeper()` from `./backends/zookeeper/` here (via
 * registerUrlBackend('zookeeper', factory)); `kubernetes://` is not implemented yet.
 */
export function setup(): void {
  setupEmbedded();
  setupEtcd();
}
