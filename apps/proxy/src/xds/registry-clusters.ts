// Scale-out endpoints: clusters of type `strait.clusters.registry` read their hosts straight from a
// service registry (@strait/registry), not from EDS. One watch per (registry, service) is shared by
// every cluster of that service (subsets differ only by label filter). Events are applied to a per-
// service instance table incrementally (a delta touches only the instances it names), then only the
// clusters of that service get a new LoadAssignmentModel: the same model EDS produces, so priorities,
// localities and health behave exactly as with a pilot-served ClusterLoadAssignment.
import type { Instance, Registry, Watch, WatchEvent } from '@strait/registry';
import type { HealthStatusName, HostModel, LoadAssignmentModel, LocalityModel } from '../model/endpoint.js';
import type { Scope, StatsStore } from '../stats/store.js';
import { Backoff } from './backoff.js';
import { REGISTRY_CLUSTER_STATS } from './stats.js';

export interface CellConfig {
  localRegion: string;
  localZone: string;
  localSubZone: string;
  regionLabel: string;
  zoneLabel: string;
  subZoneLabel: string;
  mode: 'FLAT' | 'FAILOVER' | 'LOCAL_ONLY';
}

/** strait.clusters.registry.v1alpha1.RegistryCluster, validated. */
export interface RegistryClusterConfig {
  registry: string;
  service: string;
  group: string;
  version: string;
  labels: Record<string, string>;
  defaultPort: number;
  cells: CellConfig;
  /** stale_endpoint_ttl: how long endpoints outlive a broken watch (0 = until it comes back). */
  staleEndpointTtlMs: number;
}

export interface RegistryEndpointsOptions {
  /** Registry name (RegistryCluster.registry) -> URL for openRegistry, or an already open Registry. */
  registries: ReadonlyMap<string, string | Registry>;
  onAssignment(clusterName: string, model: LoadAssignmentModel): void;
  stats: StatsStore;
  log: (msg: string) => void;
  /** Bound on watched services (each watch holds its service's instances). */
  maxWatches?: number;
}

interface ServiceWatch {
  readonly key: string;
  readonly instances: Map<string, Instance>;
  readonly clusters: Map<string, RegistryClusterConfig>;
  watch: Watch | undefined;
  closed: boolean;
  /** Armed while the watch is broken and some cluster has a stale_endpoint_ttl. */
  staleTimer: NodeJS.Timeout | undefined;
}

const HEALTH: Record<Instance['health'], HealthStatusName> = {
  healthy: 'HEALTHY',
  unhealthy: 'UNHEALTHY',
  draining: 'DRAINING',
};

// @strait/registry's well-known locality labels (kept literal: importing the package eagerly would load
// every backend, Kubernetes' client included, into every proxy; it is imported on first use).
const LABEL_REGION = 'region';
const LABEL_ZONE = 'zone';
const LABEL_CELL = 'cell';

let registryModule: Promise<typeof import('@strait/registry')> | undefined;

/** Loads @strait/registry and registers its backends once, on the first registry cluster. */
function loadRegistryModule(): Promise<typeof import('@strait/registry')> {
  registryModule ??= import('@strait/registry').then((m) => {
    m.setup();
    return m;
  });
  return registryModule;
}

export class RegistryEndpoints {
  private readonly opened = new Map<string, Promise<Registry>>();
  private readonly watches = new Map<string, ServiceWatch>();
  private readonly clusterWatch = new Map<string, string>();
  readonly stats: Scope<typeof REGISTRY_CLUSTER_STATS>;
  private readonly maxWatches: number;
  private endpointCount = 0;

  constructor(private readonly opts: RegistryEndpointsOptions) {
    this.stats = opts.stats.scope('registry_clusters.', 'registry_clusters', REGISTRY_CLUSTER_STATS);
    this.maxWatches = opts.maxWatches ?? 50_000;
  }

  has(registry: string): boolean {
    return this.opts.registries.has(registry);
  }

  /** Points a cluster at its service; re-attaching with a new config recomputes its hosts. */
  attach(clusterName: string, cfg: RegistryClusterConfig): void {
    const key = `${cfg.registry}|${cfg.service}`;
    const prevKey = this.clusterWatch.get(clusterName);
    if (prevKey && prevKey !== key) this.detach(clusterName);
    let w = this.watches.get(key);
    if (!w) {
      if (this.watches.size >= this.maxWatches) {
        this.stats.watch_limit_reached.inc();
        this.opts.log(`strait-proxy: registry: watch table full (${this.maxWatches}); "${key}" not watched`);
        return;
      }
      w = {
        key,
        instances: new Map(),
        clusters: new Map(),
        watch: undefined,
        closed: false,
        staleTimer: undefined,
      };
      this.watches.set(key, w);
      this.stats.watched_services.set(this.watches.size);
      void this.run(w, cfg.registry, cfg.service);
    }
    w.clusters.set(clusterName, cfg);
    this.clusterWatch.set(clusterName, key);
    // A snapshot already arrived: this cluster warms at once from the table.
    if (w.watch && w.instances.size > 0) this.opts.onAssignment(clusterName, this.build(w, cfg, clusterName));
  }

  detach(clusterName: string): void {
    const key = this.clusterWatch.get(clusterName);
    if (!key) return;
    this.clusterWatch.delete(clusterName);
    const w = this.watches.get(key);
    if (!w) return;
    w.clusters.delete(clusterName);
    if (w.clusters.size === 0) {
      w.closed = true;
      clearTimeout(w.staleTimer);
      w.watch?.close();
      this.endpointCount -= w.instances.size;
      this.stats.endpoints.set(this.endpointCount);
      this.watches.delete(key);
      this.stats.watched_services.set(this.watches.size);
    }
  }

  private registry(name: string): Promise<Registry> {
    let p = this.opened.get(name);
    if (!p) {
      const src = this.opts.registries.get(name);
      if (src === undefined) return Promise.reject(new Error(`registry "${name}" is not configured`));
      if (typeof src !== 'string') p = Promise.resolve(src);
      else p = loadRegistryModule().then((m) => m.openRegistry(src));
      this.opened.set(name, p);
    }
    return p;
  }

  /**
   * Keeps one watch open for the service until it is detached: a registry that cannot be opened or a
   * watch that ends (registry restarted, connection lost for good) is retried with jittered backoff.
   * The endpoints held stay in use meanwhile (a registry going away must not empty a healthy cluster);
   * the next snapshot replaces them.
   */
  private async run(w: ServiceWatch, registryName: string, service: string): Promise<void> {
    const backoff = new Backoff({ baseMs: 500, maxMs: 30_000 });
    while (!w.closed) {
      try {
        const registry = await this.registry(registryName);
        if (w.closed) return;
        const watch = registry.watch(service);
        w.watch = watch;
        for await (const ev of watch) {
          if (w.closed) break;
          backoff.reset();
          this.onEvent(w, ev);
        }
        if (w.closed) return;
        this.opts.log(`strait-proxy: registry watch ${w.key} ended; reopening [PROXY_ERR_REGISTRY]`);
      } catch (err) {
        if (w.closed) return;
        this.stats.open_failures.inc();
        this.opened.delete(registryName);
        this.opts.log(
          `strait-proxy: registry watch ${w.key}: ${(err as Error).message} [PROXY_ERR_REGISTRY]`,
        );
      }
      this.armStale(w);
      await new Promise<void>((r) => {
        const t = setTimeout(r, backoff.next());
        t.unref();
      });
    }
  }

  /**
   * The watch broke: with a stale_endpoint_ttl (the smallest of the service's clusters), endpoints are
   * dropped once it passes without a new event; without one they stay until the watch comes back.
   */
  private armStale(w: ServiceWatch): void {
    if (w.staleTimer || w.instances.size === 0) return;
    const ttls = [...w.clusters.values()].map((c) => c.staleEndpointTtlMs).filter((t) => t > 0);
    if (ttls.length === 0) return;
    w.staleTimer = setTimeout(
      () => {
        w.staleTimer = undefined;
        if (w.closed) return;
        this.stats.stale_drops.inc();
        this.opts.log(`strait-proxy: registry watch ${w.key}: endpoints dropped after stale_endpoint_ttl`);
        this.endpointCount -= w.instances.size;
        this.stats.endpoints.set(this.endpointCount);
        w.instances.clear();
        for (const [clusterName, cfg] of w.clusters)
          this.opts.onAssignment(clusterName, this.build(w, cfg, clusterName));
      },
      Math.min(...ttls),
    );
    w.staleTimer.unref();
  }

  /** Applies one event to the service's table, then recomputes only this service's clusters. */
  private onEvent(w: ServiceWatch, ev: WatchEvent): void {
    clearTimeout(w.staleTimer);
    w.staleTimer = undefined;
    const before = w.instances.size;
    if (ev.type === 'delta') {
      this.stats.deltas.inc();
      for (const i of ev.added) w.instances.set(i.id, i);
      for (const i of ev.updated) w.instances.set(i.id, i);
      for (const id of ev.removed) w.instances.delete(id);
    } else {
      // Snapshot or resync: replace, since a gap means deltas may be missing.
      this.stats.snapshots.inc();
      w.instances.clear();
      for (const i of ev.instances) w.instances.set(i.id, i);
    }
    this.endpointCount += w.instances.size - before;
    this.stats.endpoints.set(this.endpointCount);
    for (const [clusterName, cfg] of w.clusters)
      this.opts.onAssignment(clusterName, this.build(w, cfg, clusterName));
  }

  /** Instances matching the cluster's filter -> Envoy's model (priority -> locality -> hosts). */
  private build(w: ServiceWatch, cfg: RegistryClusterConfig, clusterName: string): LoadAssignmentModel {
    return buildAssignment(clusterName, w.instances.values(), cfg);
  }

  close(): void {
    for (const w of this.watches.values()) {
      w.closed = true;
      clearTimeout(w.staleTimer);
      w.watch?.close();
    }
    this.watches.clear();
    for (const p of this.opened.values()) {
      p.then(
        (r) => {
          // Only registries we opened from a URL are ours to close.
          if ([...this.opts.registries.values()].includes(r)) return;
          void r.close().catch(() => {});
        },
        () => {},
      );
    }
    this.opened.clear();
  }
}

function labelOf(i: Instance, configured: string, ...fallbacks: string[]): string {
  if (configured) return i.labels[configured] ?? '';
  for (const k of fallbacks) {
    const v = i.labels[k];
    if (v !== undefined) return v;
  }
  return '';
}

/** Pure: exported for the bench and tests. */
export function buildAssignment(
  clusterName: string,
  instances: Iterable<Instance>,
  cfg: RegistryClusterConfig,
): LoadAssignmentModel {
  const wanted = Object.entries(cfg.labels);
  const c = cfg.cells;
  const groups = new Map<string, { priority: number; loc: LocalityModel }>();
  for (const i of instances) {
    if (wanted.length > 0 && !wanted.every(([k, v]) => i.labels[k] === v)) continue;
    if (cfg.version && (i.labels['version'] ?? i.metadata['version']) !== cfg.version) continue;
    if (cfg.group && (i.labels['group'] ?? i.metadata['group']) !== cfg.group) continue;
    const region = labelOf(i, c.regionLabel, LABEL_REGION, 'topology.kubernetes.io/region');
    const zone = labelOf(i, c.zoneLabel, LABEL_ZONE, 'topology.kubernetes.io/zone');
    const subZone = labelOf(i, c.subZoneLabel, LABEL_CELL);
    let priority = 0;
    if (c.mode !== 'FLAT') {
      const sameRegion = region === c.localRegion;
      const sameZone = sameRegion && zone === c.localZone && (!c.localSubZone || subZone === c.localSubZone);
      if (c.mode === 'LOCAL_ONLY' && !sameZone) continue;
      priority = sameZone ? 0 : sameRegion ? 1 : 2;
    }
    const key = `${priority}\u0000${region}\u0000${zone}\u0000${subZone}`;
    let g = groups.get(key);
    if (!g) {
      g = { priority, loc: { region, zone, subZone, weight: 0, hosts: [] } };
      groups.set(key, g);
    }
    const host: HostModel = {
      host: i.address,
      port: i.port || cfg.defaultPort,
      weight: Math.max(1, i.weight),
      health: HEALTH[i.health],
      hostname: i.id,
    };
    g.loc.hosts.push(host);
    g.loc.weight += host.weight;
  }
  const priorities: LocalityModel[][] = [];
  for (const { priority, loc } of groups.values()) {
    while (priorities.length <= priority) priorities.push([]);
    priorities[priority]!.push(loc);
  }
  return { clusterName, priorities, overprovisioningFactor: 140 };
}
