// Listeners by name, updated one at a time: a changed listener on the same address is updated in place
// (only connections of changed filter chains drain); a moved or removed listener drains and closes.
import type { ProxyContext } from '../context.js';
import { stableKey } from '../model/common.js';
import type { ListenerModel, TrafficDirection } from '../model/listener.js';
import type { Scope } from '../stats/store.js';
import { addressMatch, type Destination } from './capture.js';
import { ActiveListener, type ListenerOptions } from './listener.js';
import { LISTENER_MANAGER_STATS } from './stats.js';

export class ListenerManager {
  private readonly active = new Map<string, { listener: ActiveListener; key: string }>();
  private readonly draining = new Set<ActiveListener>();
  readonly stats: Scope<typeof LISTENER_MANAGER_STATS>;

  private readonly opts: ListenerOptions;

  constructor(
    private readonly ctx: ProxyContext,
    opts: ListenerOptions,
  ) {
    this.opts = { ...opts, findListener: (dst, dir) => this.findByDestination(dst, dir) };
    this.stats = ctx.stats.scope('listener_manager.', 'listener_manager', LISTENER_MANAGER_STATS);
  }

  /** Adds or updates a listener; resolves once it accepts. Throws ProxyError PROXY_ERR_LISTEN on bind failure. */
  async addOrUpdate(model: ListenerModel): Promise<'added' | 'updated' | 'unchanged'> {
    const key = stableKey(model);
    const cur = this.active.get(model.name);
    if (cur?.key === key) return 'unchanged';
    if (cur?.listener.update(model)) {
      cur.key = key;
      this.stats.listener_modified.inc();
      return 'updated';
    }
    const l = new ActiveListener(model, this.ctx, this.opts);
    try {
      await l.start();
    } catch (err) {
      this.stats.listener_create_failure.inc();
      throw err;
    }
    if (cur) this.retire(cur.listener);
    this.active.set(model.name, { listener: l, key });
    this.stats.listener_added.inc();
    this.stats.total_listeners_active.set(this.active.size);
    return 'added';
  }

  remove(name: string): void {
    const cur = this.active.get(name);
    if (!cur) return;
    this.active.delete(name);
    this.retire(cur.listener);
    this.stats.listener_removed.inc();
    this.stats.total_listeners_active.set(this.active.size);
  }

  private retire(l: ActiveListener): void {
    this.draining.add(l);
    this.stats.total_listeners_draining.set(this.draining.size);
    void l.drain(true);
    const t = setTimeout(() => {
      l.close();
      this.draining.delete(l);
      this.stats.total_listeners_draining.set(this.draining.size);
    }, this.opts.drainTimeMs + 100);
    t.unref();
  }

  /**
   * Envoy's use_original_dst hand-off target: the listener whose address is exactly the destination,
   * else one on the wildcard address with its port. Capture listeners are never targets, and neither is a
   * listener of the other direction: the pilot sets use_original_dst on virtualInbound too, and inbound
   * traffic for pod port 9080 must not land on the outbound 0.0.0.0_9080 listener.
   */
  findByDestination(dst: Destination, direction: TrafficDirection): ActiveListener | undefined {
    let wildcard: ActiveListener | undefined;
    for (const { listener } of this.active.values()) {
      const d = listener.model.direction;
      if (listener.model.useOriginalDst) continue;
      if (direction !== 'UNSPECIFIED' && d !== 'UNSPECIFIED' && d !== direction) continue;
      const m = addressMatch(listener.model.address.host, listener.port, dst);
      if (m === 'exact') return listener;
      if (m === 'wildcard') wildcard ??= listener;
    }
    return wildcard;
  }

  get(name: string): ActiveListener | undefined {
    return this.active.get(name)?.listener;
  }

  all(): ActiveListener[] {
    return [...this.active.values()].map((a) => a.listener);
  }

  /** Drains every listener (admin /drain_listeners, SIGTERM). */
  async drainAll(graceful: boolean, inboundOnly = false): Promise<void> {
    const ls = this.all().filter((l) => !inboundOnly || l.model.direction === 'INBOUND');
    await Promise.all(ls.map((l) => l.drain(graceful)));
    this.stats.total_listeners_draining.set(ls.length);
  }

  close(): void {
    for (const { listener } of this.active.values()) listener.close();
    for (const l of this.draining) l.close();
    this.active.clear();
    this.draining.clear();
  }
}
