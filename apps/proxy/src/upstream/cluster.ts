// A live cluster: its hosts grouped by priority (and locality), the LB over the available ones, circuit
// breaker counters, outlier detection, and per-host connection pools. Endpoint updates keep the Host
// objects (and so their pools and outlier state) of addresses that stay.
import type { ClusterModel } from '../model/cluster.js';
import type { LoadAssignmentModel } from '../model/endpoint.js';
import type { Scope } from '../stats/store.js';
import { HealthChecker } from './health-check.js';
import { Host } from './host.js';
import { type LbContext, type LoadBalancer, lbFactoryFor } from './lb/index.js';
import { weightedPick } from './lb/random.js';
import { OutlierDetector } from './outlier.js';
import { choosePriority, priorityLoads } from './priority.js';
import type { CLUSTER_STATS } from './stats.js';

export type ClusterStats = Scope<typeof CLUSTER_STATS>;

interface PriorityState {
  hosts: Host[];
  available: Host[];
  lb: LoadBalancer;
  /** Locality-weighted: one LB per locality with its effective weight. */
  localities: { weight: number; lb: LoadBalancer; available: Host[] }[];
  panic: boolean;
}

export interface PoolLike {
  close(graceful: boolean): void;
}

export class Cluster {
  model: ClusterModel;
  readonly stats: ClusterStats;
  private hostsByKey = new Map<string, Host>();
  private priorities: PriorityState[] = [];
  private loads: number[] = [];
  private outlier: OutlierDetector | undefined;
  private healthChecker: HealthChecker | undefined;
  /** Pools keyed by host key; created by the pool layer on demand. */
  readonly pools = new Map<string, PoolLike>();
  // Circuit breaker counters (cluster-wide, DEFAULT priority).
  rqActive = 0;
  rqPending = 0;
  retriesActive = 0;
  cxActive = 0;
  private assignment: LoadAssignmentModel | undefined;

  constructor(
    model: ClusterModel,
    stats: ClusterStats,
    private readonly random: () => number = Math.random,
  ) {
    this.model = model;
    this.stats = stats;
    this.setupOutlier();
    if (model.loadAssignment) this.setAssignment(model.loadAssignment);
    this.setupHealthCheck();
  }

  private setupHealthCheck(): void {
    const hc = this.model.healthChecks[0];
    if (!hc) {
      this.healthChecker?.close();
      this.healthChecker = undefined;
      for (const h of this.hostsByKey.values()) h.hcFailed = false;
      return;
    }
    if (this.healthChecker) {
      this.healthChecker.update(hc);
      return;
    }
    this.healthChecker = new HealthChecker(hc, {
      hosts: () => [...this.hostsByKey.values()],
      changed: () => this.rebuild(),
      transport: () => ({ tls: this.model.tls, stats: this.stats }),
      onResult: (ok) => {
        this.stats['health_check.attempt'].inc();
        this.stats[ok ? 'health_check.success' : 'health_check.failure'].inc();
      },
    });
    this.healthChecker.start();
    this.rebuild();
  }

  /** Applies a changed Cluster resource; keeps hosts when the assignment is carried separately (EDS). */
  updateModel(model: ClusterModel): void {
    this.model = model;
    this.setupOutlier();
    if (model.loadAssignment) this.setAssignment(model.loadAssignment);
    else this.rebuild();
    this.setupHealthCheck();
    this.stats.update_attempt.inc();
  }

  private setupOutlier(): void {
    const od = this.model.outlierDetection;
    if (!od) {
      this.outlier?.close();
      this.outlier = undefined;
      for (const h of this.hostsByKey.values()) h.ejected = false;
      return;
    }
    if (this.outlier) {
      this.outlier.update(od);
      return;
    }
    this.outlier = new OutlierDetector(od, {
      hosts: () => [...this.hostsByKey.values()],
      changed: () => this.rebuild(),
      onEject: (reason) => {
        this.stats['outlier_detection.ejections_enforced_total'].inc();
        this.stats[`outlier_detection.ejections_enforced_${reason}`].inc();
      },
      onOverflow: () => this.stats['outlier_detection.ejections_overflow'].inc(),
      random: this.random,
    });
  }

  /** EDS / load_assignment: replace the host set, keeping Host objects for addresses that stay. */
  setAssignment(cla: LoadAssignmentModel): void {
    this.assignment = cla;
    const next = new Map<string, Host>();
    cla.priorities.forEach((localities, priority) => {
      for (const loc of localities) {
        for (const hm of loc.hosts) {
          const key = `${hm.host}:${hm.port}`;
          let h = this.hostsByKey.get(key) ?? next.get(key);
          if (!h) {
            h = new Host(hm.host, hm.port, hm.weight, hm.health, priority, loc, hm.hostname);
            // With active health checking a new host waits for its first passing check.
            if (this.model.healthChecks.length > 0) {
              h.hcSeen = true;
              h.hcFailed = true;
            }
          }
          h.weight = hm.weight;
          h.health = hm.health;
          h.priority = priority;
          h.locality = { region: loc.region, zone: loc.zone, subZone: loc.subZone };
          next.set(key, h);
        }
      }
    });
    for (const [key, h] of this.hostsByKey) {
      if (next.has(key)) continue;
      clearTimeout(h.ejectTimer);
      // Requests in flight keep their pool; idle connections of a removed host close now.
      for (const [pk, pool] of this.pools) {
        if (pk.startsWith(`${key}|`)) {
          pool.close(true);
          this.pools.delete(pk);
        }
      }
    }
    this.hostsByKey = next;
    this.stats.membership_change.inc();
    this.rebuild();
  }

  get loadAssignment(): LoadAssignmentModel | undefined {
    return this.assignment;
  }

  hosts(): Host[] {
    return [...this.hostsByKey.values()];
  }

  /** Recomputes availability, priority loads and LBs. Called on membership, health or ejection changes. */
  rebuild(): void {
    const factory = lbFactoryFor(this.model);
    const byPriority: Host[][] = [];
    for (const h of this.hostsByKey.values()) {
      while (byPriority.length <= h.priority) byPriority.push([]);
      byPriority[h.priority]!.push(h);
    }
    const factor = this.assignment?.overprovisioningFactor ?? 140;
    this.priorities = byPriority.map((hosts) => {
      const available = hosts.filter((h) => h.available);
      // Panic: below the threshold, spread over every host rather than overload the few healthy ones.
      const panic =
        hosts.length > 0 && (available.length / hosts.length) * 100 < this.model.healthyPanicThreshold;
      const pool = panic ? hosts : available;
      const localities: PriorityState['localities'] = [];
      if (this.model.localityWeighted && this.assignment) {
        const locs = this.assignment.priorities[hosts[0]?.priority ?? 0] ?? [];
        for (const loc of locs) {
          const inLoc = pool.filter(
            (h) =>
              h.locality.region === loc.region &&
              h.locality.zone === loc.zone &&
              h.locality.subZone === loc.subZone,
          );
          const healthy = loc.hosts.length
            ? Math.min(1, (factor / 100) * (inLoc.length / loc.hosts.length))
            : 0;
          if (loc.weight > 0 && inLoc.length > 0) {
            localities.push({
              weight: loc.weight * healthy,
              lb: factory(inLoc, this.random),
              available: inLoc,
            });
          }
        }
      }
      return { hosts, available, lb: factory(pool, this.random), localities, panic };
    });
    this.loads = priorityLoads(
      this.priorities.map((p) => p.available.length),
      this.priorities.map((p) => p.hosts.length),
      factor,
    );
    const total = this.hostsByKey.size;
    const healthy = [...this.hostsByKey.values()].filter((h) => h.available).length;
    this.stats.membership_total.set(total);
    this.stats.membership_healthy.set(healthy);
    this.stats['health_check.healthy'].set([...this.hostsByKey.values()].filter((h) => !h.hcFailed).length);
    this.stats['outlier_detection.ejections_active'].set(
      [...this.hostsByKey.values()].filter((h) => h.ejected).length,
    );
  }

  /** Lowest priority with healthy hosts first (by Envoy's priority load), then the LB within it. */
  chooseHost(ctx: LbContext): Host | undefined {
    if (this.priorities.length === 0) return undefined;
    let p: PriorityState | undefined;
    if (this.loads.every((l) => l === 0)) {
      // Nothing healthy anywhere: Envoy's panic over the first non-empty priority.
      p = this.priorities.find((x) => x.hosts.length > 0);
      if (!p) return undefined;
      return factoryPanic(p, ctx, this.random);
    }
    p = this.priorities[choosePriority(this.loads, this.random())];
    if (!p) return undefined;
    if (p.localities.length > 0) {
      const total = p.localities.reduce((s, l) => s + l.weight, 0);
      let r = this.random() * total;
      for (const l of p.localities) {
        r -= l.weight;
        if (r < 0) return l.lb.choose(ctx);
      }
    }
    return p.lb.choose(ctx);
  }

  reportOutcome(
    host: Host,
    outcome: { status: number } | { local: 'connect-failure' | 'reset' | 'timeout' },
  ): void {
    this.outlier?.report(host, outcome);
  }

  close(): void {
    this.outlier?.close();
    this.healthChecker?.close();
    for (const p of this.pools.values()) p.close(true);
    this.pools.clear();
  }
}

function factoryPanic(p: PriorityState, ctx: LbContext, random: () => number): Host | undefined {
  return ctx.hash !== undefined ? p.lb.choose(ctx) : weightedPick(p.hosts, random);
}
