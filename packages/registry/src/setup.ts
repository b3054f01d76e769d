// The one wiring point (as grpc-js-xds's register()): each backend exports setup(), called from here.
// Nothing registers itself on import.
import { setup as setupEmbedded } from './backends/embedded/setup.js';
import { setup as setupEtcd } from './backends/etcd/setup.js';
import { setup as setupKubernetes } from './backends/kubernetes/setup.js';
import { setup as setupZooKeeper } from './backends/zookeeper/index.js';

/**
 * Registers the built-in backends for openRegistry(): `embedded://`, `etcd://`, `zookeeper://`,
 * `kubernetes://`.
 */
export function setup(): void {
  setupEmbedded();
  setupEtcd();
  setupZooKeeper();
  setupKubernetes();
}
