// Registry data in: one watch per service (the Registry interface watches services, not the whole
// registry), new services found by polling services(). Snapshot/resync replace a service's instances,
// deltas patch them; every change reports the affected host so the pilot pushes only its EDS.
import type { Instance, Registry, Watch, WatchEvent } from '@strait/registry';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

export interface RegistrySourceOptions {
  readonly registries: readonly Registry[];
  readonly metrics: Metrics;
  readonly log: Logger;
  /** How often to look for services that appeared. */
  readonly discoverEveryMs: number;
  /** Called with the hosts whose instances changed (after the first snapshot of each). */
  readonly onChange: (hosts: ReadonlySet<string>) => void;
  /** Bounds memory: services beyond this are ignored (and logged). */
  readonly maxServices?: number;
}

export class RegistrySource {
  /** host → registry index → instances by id */
  private readonly state = new Map<string, Map<number, Map<string, Instance>>>();
  private readonly watches: Watch[] = [];
  private readonly watched = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly working = new Map<string, readonly Instance[]>();
  private snapshot: ReadonlyMap<string, readonly Instance[]> = new Map();
  private dirty = false;

  constructor(private readonly opts: RegistrySourceOptions) {}

  /** Discovers services and waits for every first snapshot. */
  async start(): Promise<void> {
    await this.discover();
    this.timer = setInterval(() => void this.discover(), this.opts.discoverEveryMs);
    this.timer.unref();
  }

  /**
   * Current instances by host: a new map when something changed since the last call (arrays shared
   * otherwise). Events update a working map; it is copied here, once per push context, not once per
   * event (a first sync of 10,000 services would otherwise copy a 10,000-entry map 10,000 times).
   */
  instances(): ReadonlyMap<string, readonly Instance[]> {
    if (this.dirty) {
      this.snapshot = new Map(this.working);
      this.dirty = false;
    }
    return this.snapshot;
  }

  /** Watches a host now (a ServiceEntry named it before any instance registered). */
  async ensureWatched(hosts: Iterable<string>): Promise<void> {
    const pending: Promise<void>[] = [];
    this.opts.registries.forEach((r, i) => {
      for (const h of hosts) pending.push(this.watchOne(r, i, h));
    });
    await Promise.all(pending);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of this.watches) w.close();
  }

  private async discover(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const [i, r] of this.opts.registries.entries()) {
      let names: readonly string[];
      try {
        names = await r.services();
      } catch (err) {
        this.opts.log.warn('registry list failed', {
          registry: r.kind,
          error: (err as Error).message,
          code: 'PILOT_ERR_REGISTRY',
        });
        continue;
      }
      for (const host of names) pending.push(this.watchOne(r, i, host));
    }
    await Promise.all(pending);
  }

  private watchOne(registry: Registry, index: number, host: string): Promise<void> {
    const key = `${index}|${host}`;
    if (this.closed || this.watched.has(key)) return Promise.resolve();
    if (this.watched.size >= (this.opts.maxServices ?? 100_000)) {
      this.opts.log.warn('too many registry services, ignoring', { host });
      return Promise.resolve();
    }
    this.watched.add(key);
    const watch = registry.watch(host);
    this.watches.push(watch);
    let first = true;
    return new Promise<void>((resolveFirst) => {
      void (async () => {
        try {
          for await (const ev of watch) {
            this.apply(index, ev);
            if (first) {
              first = false;
              resolveFirst();
            }
            this.opts.onChange(new Set([host]));
          }
        } catch (err) {
          this.opts.log.warn('registry watch failed', {
            host,
            registry: registry.kind,
            error: (err as Error).message,
            code: 'PILOT_ERR_REGISTRY',
          });
        } finally {
          this.watched.delete(key);
          resolveFirst();
        }
      })();
    });
  }

  private apply(index: number, ev: WatchEvent): void {
    this.opts.metrics.inc('pilot_endpoint_events', { type: ev.type });
    let perRegistry = this.state.get(ev.service);
    if (!perRegistry) {
      perRegistry = new Map();
      this.state.set(ev.service, perRegistry);
    }
    let byId = perRegistry.get(index);
    if (ev.type === 'delta' && byId) {
      for (const i of ev.added) byId.set(i.id, i);
      for (const i of ev.updated) byId.set(i.id, i);
      for (const id of ev.removed) byId.delete(id);
    } else {
      byId = new Map(
        (ev.type === 'delta' ? [...ev.added, ...ev.updated] : ev.instances).map((i) => [i.id, i]),
      );
      perRegistry.set(index, byId);
    }
    const all: Instance[] = [];
    for (const m of perRegistry.values()) all.push(...m.values());
    all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.working.set(ev.service, all);
    this.dirty = true;
  }
}
