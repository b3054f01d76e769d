// Types only: the class (and @kubernetes/client-node behind it) loads when a kubernetes:// URL is opened.
export type { KubernetesRegistry, KubernetesRegistryOptions } from './registry.js';
export { openKubernetes, setup } from './setup.js';
