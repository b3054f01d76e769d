// A watched, bounded index of Dubbo 3's service-name mapping (`/<root>/mapping/<interface>` → apps),
// inverted to application → interfaces.
//
// Why: Dubbo's application-level instance record does not list the interfaces it serves (Dubbo gets
// them per revision from the provider's MetadataService over RPC). The mapping is the registry-side
// truth of which applications serve which interface, so inverting it lets an application-level
// Instance carry `interfaces` like an interface-level one does, and a mapping change becomes an
// ordinary `updated` delta for the affected application's watchers.
//
// Same level-based loop as ServiceView: one children watch on the mapping directory, one data watch per
// mapping node (Dubbo updates them in place with compare-and-set), re-read only what fired.
import { parseMapping } from './application-layout.js';
import { type Watcher, ZK_NO_NODE, type ZkConnection, zkCode } from './client.js';
import type { ZkMetrics } from './stats.js';

export class MappingIndex {
  /** interface → applications (sorted). */
  private byIface = new Map<string, readonly string[]>();
  /** application → interfaces (sorted), derived from byIface after each pass. */
  private byApp = new Map<string, readonly string[]>();
  private stale = new Set<string>();
  private readonly dataWatchers = new Map<string, Watcher>();
  private running: Promise<void> | undefined;
  private dirty = false;
  private disposed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private firstPass: Promise<void> | undefined;
  private readonly childrenWatcher: Watcher = () => this.trigger();

  constructor(
    private readonly conn: () => ZkConnection,
    private readonly dir: string,
    private readonly maxEntries: number,
    private readonly metrics: ZkMetrics,
    /** Called with the applications whose interface set changed. */
    private readonly onChange: (apps: ReadonlySet<string>) => void,
  ) {}

  /** Resolves once the index has been read at least once (or the first read failed: best effort). */
  ready(): Promise<void> {
    this.firstPass ??= this.trigger();
    return this.firstPass;
  }

  interfacesOf(app: string): readonly string[] {
    return this.byApp.get(app) ?? [];
  }

  /** Re-read after a session change: the server forgot our watches. */
  resync(): void {
    this.stale = new Set(this.byIface.keys());
    this.dataWatchers.clear();
    void this.trigger();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.retryTimer);
  }

  private trigger(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.running) {
      this.dirty = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.dirty = false;
      try {
        await this.pass();
      } catch (err) {
        this.metrics.inc('zk_refresh_errors');
        if (!this.disposed && zkCode(err) !== ZK_NO_NODE) {
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => void this.trigger(), 250);
          this.retryTimer.unref();
        }
        return;
      }
    } while (this.dirty && !this.disposed);
  }

  private dataWatcher(iface: string): Watcher {
    let w = this.dataWatchers.get(iface);
    if (!w) {
      w = () => {
        this.stale.add(iface);
        this.dataWatchers.delete(iface);
        void this.trigger();
      };
      this.dataWatchers.set(iface, w);
    }
    return w;
  }

  private async pass(): Promise<void> {
    const conn = this.conn();
    const stale = this.stale;
    this.stale = new Set();
    try {
      const listing = await conn.getChildren(this.dir, this.childrenWatcher);
      if (!listing) {
        // No mapping yet: watch for the directory's creation.
        if (await conn.exists(this.dir, this.childrenWatcher)) this.dirty = true;
      }
      const names = listing?.children ?? [];
      if (names.length > this.maxEntries) this.metrics.inc('zk_mapping_truncations');
      const next = new Map<string, readonly string[]>();
      const toRead: string[] = [];
      for (const iface of names.slice(0, this.maxEntries)) {
        const known = this.byIface.get(iface);
        if (known && !stale.has(iface)) next.set(iface, known);
        else toRead.push(iface);
      }
      for (let i = 0; i < toRead.length; i += 256) {
        await Promise.all(
          toRead.slice(i, i + 256).map(async (iface) => {
            const got = await conn.getData(`${this.dir}/${iface}`, this.dataWatcher(iface));
            if (got) next.set(iface, parseMapping(got.data));
          }),
        );
      }
      this.apply(next);
    } catch (err) {
      for (const iface of stale) this.stale.add(iface);
      throw err;
    }
  }

  private apply(next: Map<string, readonly string[]>): void {
    for (const iface of this.dataWatchers.keys()) if (!next.has(iface)) this.dataWatchers.delete(iface);
    const byApp = new Map<string, string[]>();
    for (const [iface, apps] of next) {
      for (const app of apps) {
        const list = byApp.get(app) ?? [];
        if (list.length === 0) byApp.set(app, list);
        list.push(iface);
      }
    }
    for (const list of byApp.values()) list.sort();
    const changed = new Set<string>();
    for (const [app, list] of byApp) {
      const prev = this.byApp.get(app);
      if (!prev || prev.length !== list.length || prev.some((x, i) => x !== list[i])) changed.add(app);
    }
    for (const app of this.byApp.keys()) if (!byApp.has(app)) changed.add(app);
    this.byIface = next;
    this.byApp = byApp;
    this.metrics.set('zk_mapping_entries', next.size);
    if (changed.size > 0) this.onChange(changed);
  }
}
