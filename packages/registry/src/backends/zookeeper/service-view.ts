// The watched view of one service directory, shared by every Watch on that service.
//
// ZooKeeper watches are one-shot and carry no data: a fired watch only says "look again". So the view is
// level-based (controller-runtime's habit): every trigger re-reads the children list (re-arming the
// watch in the same call), reads data only for children it has not seen, and diffs the decoded result
// against what it last delivered. Triggers that arrive while a read runs just mark the view dirty and
// cause one more pass, so a burst of N changes costs a few reads, not N.
import { instanceEqual } from '../../instance.js';
import type { Instance, ResyncReason } from '../../types.js';
import type { WatchChannel } from '../../watch/channel.js';
import { type NodeStat, type Watcher, ZK_NO_NODE, type ZkConnection, zkCode } from './client.js';
import type { LayoutCodec } from './layout.js';
import type { ZkMetrics } from './stats.js';

/**
 * A decoded child. `czxid` orders duplicates (two nodes with one id: the newer wins); for children
 * decoded from their name alone it is the URL's timestamp instead.
 */
interface Child {
  readonly instance: Instance | undefined;
  readonly czxid: number;
}

/**
 * Data reads in flight per pass. The client pipelines them on one socket, so a wide window hides the
 * round trips; the bound keeps one pass from queueing thousands of requests on a busy server.
 */
const READ_CONCURRENCY = 256;

export function sortById(list: Iterable<Instance>): Instance[] {
  return [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Reads the children of `dir` and decodes them, reusing `cache` for names already decoded.
 * Shared by the watched view and by one-off list() calls.
 */
export async function readChildren(
  conn: ZkConnection,
  layout: LayoutCodec,
  service: string,
  cache: ReadonlyMap<string, Child> | undefined,
  metrics: ZkMetrics,
  watchers?: { children: Watcher; data: (name: string) => Watcher },
): Promise<{ children: Map<string, Child>; stat: NodeStat | undefined }> {
  const dir = layout.dir(service);
  const listing = await conn.getChildren(dir, watchers?.children);
  const children = new Map<string, Child>();
  if (!listing) return { children, stat: undefined };
  const todo: string[] = [];
  for (const name of listing.children) {
    const known = cache?.get(name);
    if (known) children.set(name, known);
    else todo.push(name);
  }
  const withData: string[] = [];
  for (const name of todo) {
    if (layout.needsData(name)) {
      withData.push(name);
      continue;
    }
    const decoded = layout.decode(name, undefined, service);
    if (!decoded.ok) metrics.inc('zk_decode_errors');
    // Without a stat, the URL's timestamp orders duplicates (Dubbo re-registering before its old node went).
    const order = decoded.ok ? Number(decoded.value.metadata['timestamp'] ?? 0) || 0 : 0;
    children.set(name, { instance: decoded.ok ? decoded.value : undefined, czxid: order });
  }
  for (let i = 0; i < withData.length; i += READ_CONCURRENCY) {
    await Promise.all(
      withData.slice(i, i + READ_CONCURRENCY).map(async (name) => {
        metrics.inc('zk_data_reads');
        const got = await conn.getData(`${dir}/${name}`, watchers?.data(name));
        if (!got) return; // deleted meanwhile; the children watch has fired too
        const decoded = layout.decode(name, got.data, service);
        if (!decoded.ok) metrics.inc('zk_decode_errors');
        children.set(name, { instance: decoded.ok ? decoded.value : undefined, czxid: got.stat.czxid });
      }),
    );
  }
  return { children, stat: listing.stat };
}

/** Collapses children to one instance per id (the newest node wins while a replacement is in flight). */
export function byId(children: ReadonlyMap<string, Child>, enrich?: Enricher): Map<string, Instance> {
  const best = new Map<string, Child>();
  for (const c of children.values()) {
    if (!c.instance) continue;
    const prev = best.get(c.instance.id);
    if (!prev || c.czxid > prev.czxid) best.set(c.instance.id, c);
  }
  return new Map(
    [...best].map(([id, c]) => {
      const inst = c.instance as Instance;
      return [id, enrich ? enrich.apply(inst) : inst];
    }),
  );
}

/** Completes instances after decoding (application layout: interfaces from the mapping index). */
export interface Enricher {
  /** Resolves when the data `apply` uses has been loaded once. */
  ready(): Promise<void>;
  apply(inst: Instance): Instance;
}

export class ServiceView {
  private children = new Map<string, Child>();
  private instances = new Map<string, Instance>();
  private revision = 0;
  private ready = false;
  private running: Promise<void> | undefined;
  private dirty = false;
  private owedResync: ResyncReason | undefined;
  private disposed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Channels that have had their snapshot and now get deltas. */
  private readonly live = new Set<WatchChannel>();
  /** Channels waiting for the first read to finish. */
  private readonly waiting = new Set<WatchChannel>();

  /** One function per view: ZooKeeper registers a watcher once per path however often it is passed. */
  private readonly childrenWatcher: Watcher = () => this.trigger();
  private readonly dataWatchers = new Map<string, Watcher>();
  /** Children whose data watch fired since the last pass began. */
  private stale = new Set<string>();

  constructor(
    readonly service: string,
    private readonly conn: () => ZkConnection,
    private readonly layout: LayoutCodec,
    private readonly metrics: ZkMetrics,
    private readonly enrich?: Enricher,
  ) {}

  get channelCount(): number {
    return this.live.size + this.waiting.size;
  }

  get cachedNodes(): number {
    return this.children.size;
  }

  /** The known children, for list() to reuse decoded nodes. */
  get cache(): ReadonlyMap<string, Child> {
    return this.children;
  }

  snapshot(): { revision: number; instances: readonly Instance[] } {
    return { revision: this.revision, instances: sortById(this.instances.values()) };
  }

  add(ch: WatchChannel): void {
    if (this.ready) {
      ch.pushSnapshot(this.revision, sortById(this.instances.values()));
      this.live.add(ch);
    } else {
      this.waiting.add(ch);
      this.trigger();
    }
  }

  remove(ch: WatchChannel): void {
    this.live.delete(ch);
    this.waiting.delete(ch);
  }

  /** Ends every watch on this view (the registry is closing); iteration completes normally. */
  closeAll(): void {
    for (const ch of [...this.live, ...this.waiting]) ch.close();
    this.dispose();
  }

  /** Re-read now; with `resync`, deliver the result as a full snapshot (the session was replaced). */
  trigger(resync?: ResyncReason): void {
    if (this.disposed) return;
    if (resync) this.owedResync = resync;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Stops reacting to ZooKeeper events (ZooKeeper has no watch removal in this client; they fire once, ignored). */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.retryTimer);
    this.dataWatchers.clear();
  }

  private dataWatcher(name: string): Watcher | undefined {
    if (!this.layout.watchData) return undefined;
    let w = this.dataWatchers.get(name);
    if (!w) {
      w = () => {
        // The child changed in place or went away: the next pass must read it again (and re-arm).
        this.stale.add(name);
        this.dataWatchers.delete(name);
        this.trigger();
      };
      this.dataWatchers.set(name, w);
    }
    return w;
  }

  private async loop(): Promise<void> {
    do {
      this.dirty = false;
      try {
        await this.pass();
      } catch (err) {
        this.metrics.inc('zk_refresh_errors');
        // Connection loss or a closed connection: retry later (a reconnect/session event also triggers).
        if (!this.disposed && zkCode(err) !== ZK_NO_NODE) {
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => this.trigger(), 250);
          this.retryTimer.unref();
        }
        return;
      }
    } while (this.dirty && !this.disposed);
  }

  private async pass(): Promise<void> {
    this.metrics.inc('zk_refreshes');
    const conn = this.conn();
    // After a session change the server forgot our data watches: read (and re-arm) every child again.
    const reason = this.owedResync;
    this.owedResync = undefined;
    const resyncing = reason !== undefined;
    if (resyncing) this.dataWatchers.clear();
    const stale = this.stale;
    this.stale = new Set();
    const cache = resyncing
      ? undefined
      : stale.size === 0
        ? this.children
        : new Map([...this.children].filter(([name]) => !stale.has(name)));
    let children: Map<string, Child>;
    let stat: NodeStat | undefined;
    try {
      await this.enrich?.ready();
      ({ children, stat } = await readChildren(conn, this.layout, this.service, cache, this.metrics, {
        children: this.childrenWatcher,
        data: (name) => this.dataWatcher(name) as Watcher,
      }));
      if (!stat && !this.disposed) {
        // No directory yet: watch for its creation (exists() arms a watch on a missing node).
        const created = await conn.exists(this.layout.dir(this.service), this.childrenWatcher);
        if (created) this.dirty = true;
      }
    } catch (err) {
      // The owed resync still stands for the retry.
      if (reason && !this.owedResync) this.owedResync = reason;
      for (const name of stale) this.stale.add(name);
      throw err;
    }
    if (this.disposed) return;
    for (const name of this.dataWatchers.keys()) if (!children.has(name)) this.dataWatchers.delete(name);
    this.metrics.inc('zk_cached_nodes', children.size - this.children.size);
    this.children = children;

    const next = byId(children, this.enrich);
    const added: Instance[] = [];
    const updated: Instance[] = [];
    const removed: string[] = [];
    for (const [id, inst] of next) {
      const prev = this.instances.get(id);
      if (!prev) added.push(inst);
      else if (!instanceEqual(prev, inst)) updated.push(inst);
    }
    for (const id of this.instances.keys()) if (!next.has(id)) removed.push(id);
    const changed = added.length + updated.length + removed.length > 0;
    // pzxid is the zxid of the last child create/delete: a server-side revision, monotonic. Data-only
    // changes (application layout) do not move it, so fall back to +1 to keep revisions strictly rising.
    // A resync must also carry a new revision: revisions rise strictly within a watch.
    const serverRev = stat?.pzxid ?? 0;
    if (!this.ready) this.revision = Math.max(serverRev, this.revision);
    else if (changed || resyncing) this.revision = Math.max(serverRev, this.revision + 1);
    this.instances = next;

    if (!this.ready) {
      this.ready = true;
      for (const ch of this.waiting) {
        ch.pushSnapshot(this.revision, sortById(next.values()));
        this.live.add(ch);
      }
      this.waiting.clear();
      return;
    }
    if (reason) {
      for (const ch of this.live) ch.pushResync(reason);
      return;
    }
    if (changed) {
      for (const ch of this.live) ch.pushDelta({ revision: this.revision, added, updated, removed });
    }
  }
}
