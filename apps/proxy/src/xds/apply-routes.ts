// RDS into the HCMs' route store, by route_config_name. HCMs look routes up per request, so an update
// touches no connection. A route configuration naming a cluster that is still warming waits for it (or
// for the initial fetch timeout), so a VirtualService shift to a new subset never sends to a cluster
// without hosts.
import { RouteConfigurationCodec } from '@strait/xds';
import type { ResourceError, ResourceUpdate } from '@strait/xds/stream';
import { type RouteTableModel, translateRouteConfiguration } from '../model/route.js';
import type { Scope } from '../stats/store.js';
import { type ApplyTargets, decodeResource, issuesMessage, ownBytes } from './context.js';
import type { WARMING_STATS } from './stats.js';
import { WarmingSet } from './warming.js';

const RouteMsg = RouteConfigurationCodec;

interface PendingRoute {
  table: RouteTableModel;
  bytes: Uint8Array;
  version: string;
}

export interface RouteApplierOptions {
  targets: ApplyTargets;
  warmingTimeoutMs: number;
  isClusterWarming(name: string): boolean;
  /** A route configuration is in the store: listeners waiting for it may activate. */
  onRouteActive(name: string): void;
  stats: Scope<typeof WARMING_STATS>;
}

export class RouteApplier {
  readonly warming: WarmingSet<PendingRoute>;

  constructor(private readonly opts: RouteApplierOptions) {
    this.warming = new WarmingSet<PendingRoute>({
      timeoutMs: opts.warmingTimeoutMs,
      activate: (name, p, timedOut) => {
        if (timedOut) opts.stats.warming_timeouts.inc();
        this.activate(name, p);
      },
      onSizeChange: (n) => opts.stats.warming_routes.set(n),
    });
  }

  applyRds = (update: ResourceUpdate): ResourceError[] => {
    const { targets } = this.opts;
    const errors: ResourceError[] = [];
    for (const r of update.updated) {
      const bytes = ownBytes(r.resource.value);
      const decoded = decodeResource((b) => RouteMsg.decode(b), bytes);
      if (!decoded.ok) {
        errors.push({ name: r.name, message: decoded.message });
        continue;
      }
      const t = translateRouteConfiguration(decoded.value);
      if (!t.ok) {
        targets.applied.reject('route', r.name, bytes, update.version, t.issues);
        errors.push({ name: r.name, message: issuesMessage(t.issues) });
        continue;
      }
      const deps = t.value.clusterNames
        .filter((c) => this.opts.isClusterWarming(c))
        .map((c) => `cluster:${c}`);
      this.warming.add(r.name, { table: t.value, bytes, version: update.version }, deps);
    }
    for (const name of update.removed) this.remove(name);
    // Delta "does not exist": listeners stop waiting (they serve 404s until it exists, as Envoy does).
    for (const name of update.absent) this.opts.onRouteActive(name);
    return errors;
  };

  doesNotExist = (names: readonly string[]): void => {
    for (const n of names) this.opts.onRouteActive(n);
  };

  clusterActive(name: string): void {
    this.warming.satisfy(`cluster:${name}`);
  }

  remove(name: string): void {
    this.warming.delete(name);
    this.opts.targets.routes.delete(name);
    this.opts.targets.applied.remove('route', name);
  }

  private activate(name: string, p: PendingRoute): void {
    this.opts.targets.routes.set(name, p.table);
    this.opts.targets.applied.accept('route', name, p.bytes, p.version, false);
    this.opts.onRouteActive(name);
  }

  close(): void {
    this.warming.clear();
  }
}
