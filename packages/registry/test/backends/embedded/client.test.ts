import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteRegistry } from '../../../src/backends/embedded/client.js';
import type { Registry } from '../../../src/types.js';
import { registryContract } from '../../contract/registry-contract.js';
import { ServerProcess } from '../../helpers/server-process.js';

registryContract('embedded (networked, strait-registry server)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strait-registry-'));
  // A tiny history so the gap test's three changes overrun it and resuming must resync.
  const server = new ServerProcess(dir, ['--history-limit', '2']);
  await server.start();
  return {
    open: async () => new RemoteRegistry(server.address, { sessionTtlMs: 1500 }),
    shortLiveness: { kind: 'ttl', ttlMs: 1500 },
    crash: async (r: Registry) => (r as RemoteRegistry).abandon(),
    induceGap: async (watcher: Registry, mutate: () => Promise<void>) => {
      const remote = watcher as RemoteRegistry;
      remote.pauseWatch();
      await mutate();
      remote.resumeWatch();
    },
    close: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
