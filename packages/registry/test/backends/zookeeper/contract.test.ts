// The shared Registry contract against a real ZooKeeper, once per Dubbo layout. Each client connects
// through its own TCP proxy so a test can "crash" it (drop the proxy: the server expires the session
// and deletes its ephemerals) or partition it long enough to lose its session (a gap → resync).
import { createZooKeeperRegistry } from '../../../src/backends/zookeeper/index.js';
import type { Registry } from '../../../src/types.js';
import { type ContractHarness, registryContract } from '../../contract/registry-contract.js';
import { startZooKeeper } from '../../helpers/zookeeper-server.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

// Short enough to keep crash/gap tests quick, long enough that a starved 2-core CI box keeps its pings.
const SESSION_MS = 3000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function harness(layout: 'interface' | 'application'): Promise<ContractHarness> {
  const zk = await startZooKeeper();
  const proxies = new Map<Registry, TcpProxy>();
  return {
    async open() {
      const proxy = await startTcpProxy(zk.port);
      const r = await createZooKeeperRegistry(
        new URL(
          `zookeeper://127.0.0.1:${proxy.port}/strait-test?layout=${layout}&sessionTimeoutMs=${SESSION_MS}`,
        ),
      );
      proxies.set(r, proxy);
      return r;
    },
    shortLiveness: { kind: 'ttl', ttlMs: SESSION_MS },
    async crash(r) {
      await proxies.get(r)?.close();
    },
    async induceGap(watcher, mutate) {
      const proxy = proxies.get(watcher);
      if (!proxy) throw new Error('unknown registry');
      proxy.block();
      await mutate();
      // Stay away past the session timeout (plus two ticks of the server's expiry sweep).
      await sleep(SESSION_MS + 4 * zk.tickTimeMs + 500);
      proxy.unblock();
    },
    async close() {
      for (const p of proxies.values()) await p.close();
      await zk.stop();
    },
  };
}

registryContract('zookeeper (interface layout)', () => harness('interface'));
registryContract('zookeeper (application layout)', () => harness('application'));
