export { KubernetesRegistry, type KubernetesRegistryOptions } from './registry.js';
export { openKubernetes, setup } from './setup.js';
