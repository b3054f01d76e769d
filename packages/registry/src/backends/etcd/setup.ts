// `etcd://host:port[,host:port...][?prefix=/strait/registry&sessionTtlMs=&defaultTtlMs=&callTimeoutMs=]`
import { RegistryError } from '../../errors.js';
import { checkParams, intParam, type RegistryTarget, registerBackend } from '../../url.js';
import { EtcdRegistry } from './etcd.js';

const DEFAULT_PORT = 2379;

export async function openEtcd(target: RegistryTarget): Promise<EtcdRegistry> {
  checkParams(target, ['prefix', 'sessionTtlMs', 'defaultTtlMs', 'callTimeoutMs']);
  if (target.hosts.length === 0)
    throw new RegistryError('REG_ERR_INVALID_URL', `"${target.raw}": etcd needs host:port`);
  if (target.path !== '' && target.path !== '/') {
    throw new RegistryError(
      'REG_ERR_INVALID_URL',
      `"${target.raw}": use ?prefix= for the key prefix, not a path`,
    );
  }
  const prefix = target.params.get('prefix') ?? '/strait/registry';
  if (!prefix.startsWith('/'))
    throw new RegistryError('REG_ERR_INVALID_URL', `"${target.raw}": prefix must start with /`);
  return new EtcdRegistry({
    hosts: target.hosts.map((h) => `${h.host}:${h.port || DEFAULT_PORT}`),
    prefix,
    sessionTtlMs: intParam(target, 'sessionTtlMs', 10_000, 1_000, 3_600_000),
    defaultTtlMs: intParam(target, 'defaultTtlMs', 10_000, 1_000, 3_600_000),
    callTimeoutMs: intParam(target, 'callTimeoutMs', 5_000, 1, 600_000),
  });
}

export function setup(): void {
  registerBackend('etcd', openEtcd);
}
