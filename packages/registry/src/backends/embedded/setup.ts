// `embedded://` (in-process, one store per process) and `embedded://host:port` (a strait-registry server).
//
// Parameters: sessionTtlMs, defaultTtlMs (both backends), callTimeoutMs (networked only).
import { RegistryError } from '../../errors.js';
import { MemoryStore } from '../../store/memory-store.js';
import type { Registry } from '../../types.js';
import { checkParams, intParam, type RegistryTarget, registerBackend } from '../../url.js';
import { RemoteRegistry } from './client.js';
import { InProcessRegistry } from './in-process.js';

let processStore: MemoryStore | undefined;

/** The store every `embedded://` handle in this process shares, created on first use (not on import). */
export function processWideStore(): MemoryStore {
  processStore ??= new MemoryStore();
  return processStore;
}

export async function openEmbedded(target: RegistryTarget): Promise<Registry> {
  const ttl = (name: string): number => intParam(target, name, 10_000, 1, 3_600_000);
  if (target.hosts.length === 0) {
    checkParams(target, ['sessionTtlMs', 'defaultTtlMs']);
    return new InProcessRegistry(processWideStore(), {
      sessionTtlMs: ttl('sessionTtlMs'),
      defaultTtlMs: ttl('defaultTtlMs'),
    });
  }
  checkParams(target, ['sessionTtlMs', 'defaultTtlMs', 'callTimeoutMs']);
  if (target.hosts.length > 1) {
    throw new RegistryError(
      'REG_ERR_INVALID_URL',
      `"${target.raw}": embedded:// takes one server (the embedded registry is not clustered)`,
    );
  }
  const h = target.hosts[0]!;
  if (h.port === 0) {
    throw new RegistryError('REG_ERR_INVALID_URL', `"${target.raw}": port required`);
  }
  return new RemoteRegistry(`${h.host}:${h.port}`, {
    sessionTtlMs: ttl('sessionTtlMs'),
    defaultTtlMs: ttl('defaultTtlMs'),
    callTimeoutMs: intParam(target, 'callTimeoutMs', 5_000, 1, 600_000),
  });
}

export function setup(): void {
  registerBackend('embedded', openEmbedded);
}
