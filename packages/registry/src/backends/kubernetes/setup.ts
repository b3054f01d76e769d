// `kubernetes://[?kubeconfig=FILE&namespace=NS&clusterDomain=cluster.local&pods=true&defaultTtlMs=&sessionTtlMs=&callTimeoutMs=]`
// The API server comes from the kubeconfig (`?kubeconfig=`, else $KUBECONFIG, else the in-cluster service
// account, else ~/.kube/config), never from the URL's authority: credentials live in kubeconfigs.
import { RegistryError } from '../../errors.js';
import { checkParams, intParam, type RegistryTarget, registerBackend } from '../../url.js';
import type { KubernetesRegistry, KubernetesRegistryOptions } from './registry.js';

export async function openKubernetes(target: RegistryTarget): Promise<KubernetesRegistry> {
  checkParams(target, [
    'kubeconfig',
    'namespace',
    'clusterDomain',
    'pods',
    'defaultTtlMs',
    'sessionTtlMs',
    'callTimeoutMs',
  ]);
  const bad = (why: string): never => {
    throw new RegistryError('REG_ERR_INVALID_URL', `"${target.raw}": ${why}`);
  };
  if (target.hosts.length > 0)
    bad('the API server comes from the kubeconfig; use kubernetes://?kubeconfig=FILE');
  if (target.path !== '' && target.path !== '/') bad('use ?namespace= to scope, not a path');
  const pods = target.params.get('pods') ?? 'true';
  if (pods !== 'true' && pods !== 'false') bad(`pods=${pods} is not true or false`);
  const options: KubernetesRegistryOptions = {
    pods: pods === 'true',
    defaultTtlMs: intParam(target, 'defaultTtlMs', 10_000, 1_000, 3_600_000),
    sessionTtlMs: intParam(target, 'sessionTtlMs', 10_000, 1_000, 3_600_000),
    callTimeoutMs: intParam(target, 'callTimeoutMs', 10_000, 1, 600_000),
    ...(target.params.get('kubeconfig') ? { kubeconfig: target.params.get('kubeconfig')! } : {}),
    ...(target.params.get('namespace') ? { namespace: target.params.get('namespace')! } : {}),
    ...(target.params.get('clusterDomain') ? { clusterDomain: target.params.get('clusterDomain')! } : {}),
  };
  // Loaded on first use: @kubernetes/client-node takes seconds to import, a cost only users of this
  // backend should pay (setup() registers every backend, and importing @strait/registry must stay cheap).
  const { KubernetesRegistry } = await import('./registry.js');
  try {
    return new KubernetesRegistry(options);
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    return bad(`cannot load the kubeconfig: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function setup(): void {
  registerBackend('kubernetes', openKubernetes);
}
