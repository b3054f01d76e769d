import { InProcessRegistry } from '../../../src/backends/embedded/in-process.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { Registry } from '../../../src/types.js';
import { registryContract } from '../../contract/registry-contract.js';

registryContract('embedded (in-process)', async () => {
  const store = new MemoryStore({ sweepIntervalMs: 50 });
  return {
    open: async () => new InProcessRegistry(store, { sessionTtlMs: 600 }),
    shortLiveness: { kind: 'ttl', ttlMs: 600 },
    crash: async (r: Registry) => (r as InProcessRegistry).abandon(),
    close: async () => store.close(),
  };
});
