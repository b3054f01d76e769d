export {
  type KubernetesConfigOptions,
  type KubernetesConfigUpdate,
  type KubernetesConfigWatcher,
  watchKubernetesConfig,
} from './watch.js';
