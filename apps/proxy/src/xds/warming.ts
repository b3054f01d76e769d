// Envoy's warming, as one small table: a resource that depends on others (a cluster on its first
// endpoints, a route configuration on the clusters it names, a listener on its route configurations
// and clusters) is held back until every dependency is satisfied or its initial fetch timeout fires,
// then activated. Activating is the caller's callback; this table only tracks who waits for what.
// Bounded: past `maxEntries` the oldest waiter is activated early (counted), never dropped, so a flood
// of resources cannot grow memory and cannot lose config either.

export interface WarmingEntry<T> {
  readonly key: string;
  value: T;
  readonly waitingFor: Set<string>;
  timer: NodeJS.Timeout | undefined;
}

export interface WarmingOptions<T> {
  /** Activates a warmed resource; `timedOut` when the initial fetch timeout (or the bound) decided. */
  activate(key: string, value: T, timedOut: boolean): void;
  /** 0 = wait forever (Envoy: initial_fetch_timeout 0s). */
  timeoutMs: number;
  maxEntries?: number;
  onSizeChange?(size: number): void;
  onTimeout?(key: string, missing: string[]): void;
}

export class WarmingSet<T> {
  private readonly entries = new Map<string, WarmingEntry<T>>();
  /** dependency -> keys waiting for it, so satisfying one is O(waiters), not O(table). */
  private readonly byDep = new Map<string, Set<string>>();
  private readonly maxEntries: number;

  constructor(private readonly opts: WarmingOptions<T>) {
    this.maxEntries = opts.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  /**
   * Holds `value` until every dependency in `deps` is satisfied; activates at once when there is none.
   * Re-adding a key replaces its value and dependencies but keeps its original deadline (Envoy does
   * not restart the initial fetch timeout on an update of a warming resource).
   */
  add(key: string, value: T, deps: Iterable<string>): void {
    const waitingFor = new Set(deps);
    const prev = this.entries.get(key);
    if (prev) this.unlink(prev);
    if (waitingFor.size === 0) {
      if (prev) {
        clearTimeout(prev.timer);
        this.entries.delete(key);
        this.opts.onSizeChange?.(this.entries.size);
      }
      this.opts.activate(key, value, false);
      return;
    }
    const entry: WarmingEntry<T> = prev ?? { key, value, waitingFor, timer: undefined };
    entry.value = value;
    if (prev) {
      prev.waitingFor.clear();
      for (const d of waitingFor) prev.waitingFor.add(d);
    }
    for (const d of entry.waitingFor) {
      let s = this.byDep.get(d);
      if (!s) {
        s = new Set();
        this.byDep.set(d, s);
      }
      s.add(key);
    }
    if (!prev) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.fire(oldest, true);
      }
      this.entries.set(key, entry);
      if (this.opts.timeoutMs > 0) {
        entry.timer = setTimeout(() => this.fire(key, true), this.opts.timeoutMs);
        entry.timer.unref();
      }
      this.opts.onSizeChange?.(this.entries.size);
    }
  }

  /** A dependency arrived: every waiter with nothing else missing activates. */
  satisfy(dep: string): void {
    const keys = this.byDep.get(dep);
    if (!keys) return;
    this.byDep.delete(dep);
    for (const key of keys) {
      const e = this.entries.get(key);
      if (!e) continue;
      e.waitingFor.delete(dep);
      if (e.waitingFor.size === 0) this.fire(key, false);
    }
  }

  /** Forgets a waiter without activating it (the resource was removed or replaced while warming). */
  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    clearTimeout(e.timer);
    this.unlink(e);
    this.entries.delete(key);
    this.opts.onSizeChange?.(this.entries.size);
  }

  clear(): void {
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.entries.clear();
    this.byDep.clear();
    this.opts.onSizeChange?.(0);
  }

  private unlink(e: WarmingEntry<T>): void {
    for (const d of e.waitingFor) {
      const s = this.byDep.get(d);
      s?.delete(e.key);
      if (s?.size === 0) this.byDep.delete(d);
    }
  }

  private fire(key: string, timedOut: boolean): void {
    const e = this.entries.get(key);
    if (!e) return;
    clearTimeout(e.timer);
    if (timedOut) this.opts.onTimeout?.(key, [...e.waitingFor]);
    this.unlink(e);
    this.entries.delete(key);
    this.opts.onSizeChange?.(this.entries.size);
    this.opts.activate(key, e.value, timedOut);
  }
}
