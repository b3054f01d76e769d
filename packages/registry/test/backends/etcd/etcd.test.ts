import { EtcdRegistry } from '../../../src/backends/etcd/etcd.js';
import type { Registry } from '../../../src/types.js';
import { registryContract } from '../../contract/registry-contract.js';
import { EtcdProcess } from '../../helpers/etcd-process.js';

registryContract('etcd', async () => {
  const etcd = new EtcdProcess();
  await etcd.start();
  const prefix = `/strait-test-${process.pid}`;
  return {
    open: async () => new EtcdRegistry({ hosts: [etcd.endpoint], prefix, sessionTtlMs: 2000 }),
    // etcd grants whole seconds and enforces a minimum TTL of about 2 s with default timing.
    shortLiveness: { kind: 'ttl', ttlMs: 2000 },
    crash: async (r: Registry) => (r as EtcdRegistry).abandon(),
    induceGap: async (watcher: Registry, mutate: () => Promise<void>) => {
      const e = watcher as EtcdRegistry;
      await e.pauseWatch();
      await mutate();
      await etcd.compact();
      e.resumeWatch();
    },
    close: () => etcd.stop(),
  };
});
