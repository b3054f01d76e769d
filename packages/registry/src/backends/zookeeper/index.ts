// The ZooKeeper backend: `zookeeper://host:port[/chroot]?layout=interface|application`.
// Importing this module registers nothing; the package's one wiring point calls setup().
import type { Registry, RegistryFactory } from '../../types.js';
import { registerUrlBackend } from '../../url.js';
import { parseZooKeeperUrl } from './config.js';
import { ZooKeeperRegistry } from './registry.js';

export { type Layout, parseZooKeeperUrl, type ZooKeeperOptions } from './config.js';
export { type DubboUrl, decodeNodeName, encodeNodeName, formatDubboUrl, parseDubboUrl } from './dubbo-url.js';
export { ZooKeeperRegistry } from './registry.js';
export { ZK_METRIC_NAMES, type ZkMetricName } from './stats.js';

/** URL scheme this backend serves. */
export const ZOOKEEPER_SCHEME = 'zookeeper';

/** Opens a ZooKeeper registry for a `--registry zookeeper://...` URL (rejects with REG_ERR_INVALID_URL). */
export const createZooKeeperRegistry: RegistryFactory = async (url: URL): Promise<Registry> =>
  ZooKeeperRegistry.connect(parseZooKeeperUrl(url));

/**
 * Registers `zookeeper://` with the package's URL factory (openRegistry). Multi-host authorities
 * (`zookeeper://h1:2181,h2:2181/chroot`) arrive as Dubbo's `backup=` parameter.
 */
export function setup(): void {
  registerUrlBackend(ZOOKEEPER_SCHEME, createZooKeeperRegistry);
}
