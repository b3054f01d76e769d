// Reads and writes raw ZooKeeper subtrees for layout tests: what Dubbo wrote, byte for byte.
import type { ZkConnection } from '../../../src/backends/zookeeper/client.js';

export interface RawNode {
  readonly path: string;
  /** UTF-8 node data; null when empty. */
  readonly data: string | null;
  readonly ephemeral: boolean;
}

/** fixtures/dubbo-*.json: the discovery nodes a real Dubbo provider wrote (see interop.test.ts). */
export interface DubboFixture {
  readonly generatedBy: string;
  /** The Dubbo protocol port the provider was given (URLs and instance data contain it). */
  readonly dubboPort: number;
  readonly nodes: readonly RawNode[];
}

/** Every node under `root` (depth first, children sorted), `root` included. */
export async function dumpTree(conn: ZkConnection, root: string): Promise<RawNode[]> {
  const out: RawNode[] = [];
  const visit = async (path: string): Promise<void> => {
    const got = await conn.getData(path);
    if (!got) return;
    out.push({
      path,
      data: got.data && got.data.length > 0 ? got.data.toString('utf8') : null,
      ephemeral: got.stat.ephemeralOwner !== '0000000000000000',
    });
    const kids = await conn.getChildren(path);
    for (const k of [...(kids?.children ?? [])].sort()) await visit(`${path === '/' ? '' : path}/${k}`);
  };
  await visit(root);
  return out;
}

/** Recreates nodes (parents first; ephemeral ones owned by `conn`'s session). */
export async function loadTree(conn: ZkConnection, nodes: readonly RawNode[]): Promise<void> {
  for (const n of nodes) {
    const parent = n.path.slice(0, n.path.lastIndexOf('/'));
    if (parent) await conn.mkdirp(parent);
    if (await conn.exists(n.path)) continue;
    await conn.create(n.path, Buffer.from(n.data ?? ''), n.ephemeral ? 'ephemeral' : 'persistent');
  }
}
