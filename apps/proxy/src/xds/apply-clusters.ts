// CDS and EDS into the cluster manager, with Envoy's cluster warming: a new EDS (or registry-fed)
// cluster is held back until its first endpoints arrive or the initial fetch timeout fires, so a route
// never sends to a cluster that exists but has no hosts yet. An update of an active cluster applies in
// place (its hosts, pools and outlier state stay). Endpoints are cached per EDS service name (bounded)
// so a cluster that warms after its assignment arrived still gets it.
import { ClusterCodec, ClusterLoadAssignmentCodec, ExtensionName, envoy, strait, TypeUrl } from '@strait/xds';
import type { ResourceError, ResourceUpdate } from '@strait/xds/stream';
import type { ConfigIssue } from '../errors.js';
import { type ClusterModel, translateCluster } from '../model/cluster.js';
import { type LoadAssignmentModel, translateLoadAssignment } from '../model/endpoint.js';
import type { Scope } from '../stats/store.js';
import { type ApplyTargets, decodeResource, issuesMessage, ownBytes } from './context.js';
import type { RegistryClusterConfig, RegistryEndpoints } from './registry-clusters.js';
import { WARMING_STATS } from './stats.js';
import { WarmingSet } from './warming.js';

// The @strait/xds codecs: located decode errors for NACKs, and the fast ClusterLoadAssignment path.
const ClusterMsg = ClusterCodec;
const ClaMsg = ClusterLoadAssignmentCodec;
const RegistryClusterMsg = strait.clusters.registry.v1alpha1.RegistryCluster;
const DiscoveryType = envoy.config.cluster.v3.Cluster.DiscoveryType;

/** The EDS service name registry-fed clusters get internally; never subscribed over EDS. */
const REGISTRY_PREFIX = 'strait-registry:';

interface PendingCluster {
  model: ClusterModel;
  bytes: Uint8Array;
  version: string;
}

interface CachedAssignment {
  model: LoadAssignmentModel;
  bytes: Uint8Array;
  version: string;
}

export interface ClusterApplierOptions {
  targets: ApplyTargets;
  /** Initial fetch timeout for warming clusters (0 = wait forever). */
  warmingTimeoutMs: number;
  registry?: RegistryEndpoints;
  /** The EDS names to subscribe to changed. */
  onEdsNames(names: ReadonlySet<string>): void;
  /** A cluster became usable (added or warmed): route and listener warming may proceed. */
  onClusterActive(name: string): void;
  /** Bound on cached assignments (one per EDS service name). */
  maxAssignments?: number;
  /** The bootstrap node's locality: a registry cluster's cell defaults to it (the proxy's own cell). */
  nodeLocality?: { region: string; zone: string; subZone: string };
}

export class ClusterApplier {
  readonly warming: WarmingSet<PendingCluster>;
  private readonly assignments = new Map<string, CachedAssignment>();
  /** Cluster name -> EDS service name, for every xDS cluster that reads EDS (active or warming). */
  private readonly edsByCluster = new Map<string, string>();
  /** EDS service name -> clusters reading it: an assignment goes to its readers in O(readers), not O(clusters). */
  private readonly readers = new Map<string, Set<string>>();
  private readonly registryClusters = new Set<string>();
  private readonly xdsClusters = new Set<string>();
  readonly stats: Scope<typeof WARMING_STATS>;
  private readonly maxAssignments: number;

  constructor(private readonly opts: ClusterApplierOptions) {
    this.stats = opts.targets.stats.scope('xds_warming.', 'xds_warming', WARMING_STATS);
    this.maxAssignments = opts.maxAssignments ?? 200_000;
    this.warming = new WarmingSet<PendingCluster>({
      timeoutMs: opts.warmingTimeoutMs,
      activate: (name, p, timedOut) => {
        if (timedOut) this.stats.warming_timeouts.inc();
        this.activate(name, p);
      },
      onSizeChange: (n) => this.stats.warming_clusters.set(n),
      onTimeout: (name, missing) =>
        opts.targets.log(
          `strait-proxy: xds: cluster "${name}" warmed by timeout (still missing ${missing.join(', ')})`,
        ),
    });
  }

  get size(): number {
    return this.xdsClusters.size;
  }

  isWarming(name: string): boolean {
    return this.warming.has(name);
  }

  /** CDS: validates every cluster first; rejected ones keep their last good version. */
  applyCds = (update: ResourceUpdate): ResourceError[] => {
    const { targets } = this.opts;
    const errors: ResourceError[] = [];
    for (const r of update.updated) {
      const bytes = ownBytes(r.resource.value);
      const decoded = decodeResource((b) => ClusterMsg.decode(b), bytes);
      if (!decoded.ok) {
        errors.push({ name: r.name, message: decoded.message });
        continue;
      }
      const c = decoded.value;
      let registryCfg: RegistryClusterConfig | undefined;
      if (c.clusterType?.name === ExtensionName.RegistryCluster) {
        const rc = this.registryConfig(c);
        if (!rc.ok) {
          targets.applied.reject('cluster', r.name, bytes, update.version, [rc.issue]);
          errors.push({ name: r.name, message: issuesMessage([rc.issue]) });
          continue;
        }
        registryCfg = rc.value;
        // Same endpoint data model as EDS: the cluster is an EDS cluster whose assignments come from
        // the registry watch instead of the stream.
        c.clusterType = null;
        c.type = DiscoveryType.EDS;
        c.edsClusterConfig = { serviceName: `${REGISTRY_PREFIX}${r.name}` };
      }
      const t = translateCluster(c);
      if (!t.ok) {
        targets.applied.reject('cluster', r.name, bytes, update.version, t.issues);
        errors.push({ name: r.name, message: issuesMessage(t.issues) });
        continue;
      }
      this.xdsClusters.add(r.name);
      const model = t.value;
      const pending: PendingCluster = { model, bytes, version: update.version };
      if (registryCfg) {
        this.clearEds(r.name);
        this.registryClusters.add(r.name);
      } else if (model.discovery === 'EDS') {
        this.setEds(r.name, model.edsServiceName);
        if (this.registryClusters.delete(r.name)) this.opts.registry?.detach(r.name);
      } else {
        this.clearEds(r.name);
        if (this.registryClusters.delete(r.name)) this.opts.registry?.detach(r.name);
      }
      const active = targets.clusters.get(r.name);
      if (active && !this.warming.has(r.name)) {
        // In place: hosts stay; a changed EDS service name gets its cached assignment if one is here.
        this.activate(r.name, pending);
      } else if (registryCfg) {
        this.warming.add(r.name, pending, [`registry:${r.name}`]);
      } else if (model.discovery === 'EDS') {
        const cached = this.assignments.get(model.edsServiceName);
        this.warming.add(r.name, pending, cached ? [] : [`eds:${model.edsServiceName}`]);
      } else {
        this.warming.add(r.name, pending, []);
      }
      if (this.warming.has(r.name)) targets.applied.warming('cluster', r.name, bytes, update.version);
      if (registryCfg) this.opts.registry?.attach(r.name, registryCfg);
    }
    for (const name of update.removed) this.remove(name);
    this.publishEdsNames();
    return errors;
  };

  /** EDS: assignments by service name; applied to every cluster reading that name. */
  applyEds = (update: ResourceUpdate): ResourceError[] => {
    const { targets } = this.opts;
    const errors: ResourceError[] = [];
    for (const r of update.updated) {
      const bytes = ownBytes(r.resource.value);
      const decoded = decodeResource((b) => ClaMsg.decode(b), bytes);
      if (!decoded.ok) {
        errors.push({ name: r.name, message: decoded.message });
        continue;
      }
      const t = translateLoadAssignment(decoded.value);
      if (!t.ok) {
        targets.applied.reject('endpoint', r.name, bytes, update.version, t.issues);
        errors.push({ name: r.name, message: issuesMessage(t.issues) });
        continue;
      }
      this.setAssignment(r.name, { model: t.value, bytes, version: update.version });
    }
    for (const name of update.removed) this.dropAssignment(name);
    // Delta says "does not exist": the clusters warm with no endpoints (Envoy does the same).
    for (const name of update.absent) this.warming.satisfy(`eds:${name}`);
    return errors;
  };

  /** EDS names never answered within the timeout: warm their clusters empty. */
  edsDoesNotExist = (names: readonly string[]): void => {
    for (const n of names) this.warming.satisfy(`eds:${n}`);
  };

  /** A registry watch delivered endpoints for a registry-fed cluster. */
  registryAssignment(clusterName: string, model: LoadAssignmentModel): void {
    if (!this.registryClusters.has(clusterName)) return;
    const pending = this.warming.get(clusterName);
    if (pending) {
      pending.model = { ...pending.model, loadAssignment: model };
      this.warming.satisfy(`registry:${clusterName}`);
      return;
    }
    this.opts.targets.clusters.get(clusterName)?.setAssignment(model);
  }

  private setAssignment(service: string, a: CachedAssignment): void {
    const { targets } = this.opts;
    if (!this.assignments.has(service) && this.assignments.size >= this.maxAssignments) {
      const oldest = this.assignments.keys().next().value;
      if (oldest !== undefined) {
        this.assignments.delete(oldest);
        this.stats.eds_cache_evictions.inc();
      }
    }
    this.assignments.set(service, a);
    this.stats.eds_cache_size.set(this.assignments.size);
    this.applyToReaders(service, a.model);
    targets.applied.accept('endpoint', service, a.bytes, a.version, false);
    this.warming.satisfy(`eds:${service}`);
  }

  private dropAssignment(service: string): void {
    if (!this.assignments.delete(service)) return;
    this.stats.eds_cache_size.set(this.assignments.size);
    this.opts.targets.applied.remove('endpoint', service);
    // A removed assignment leaves the cluster without hosts, as Envoy does.
    this.applyToReaders(service, { clusterName: service, priorities: [], overprovisioningFactor: 140 });
  }

  private activate(name: string, p: PendingCluster): void {
    const { targets } = this.opts;
    targets.clusters.addOrUpdate(p.model);
    if (p.model.discovery === 'EDS' && !p.model.loadAssignment) {
      const cached = this.assignments.get(p.model.edsServiceName);
      const cluster = targets.clusters.get(name);
      if (cached && cluster && cluster.loadAssignment !== cached.model) cluster.setAssignment(cached.model);
    }
    targets.applied.accept('cluster', name, p.bytes, p.version, false);
    this.opts.onClusterActive(name);
  }

  private remove(name: string): void {
    const { targets } = this.opts;
    this.warming.delete(name);
    this.xdsClusters.delete(name);
    this.clearEds(name);
    if (this.registryClusters.delete(name)) this.opts.registry?.detach(name);
    targets.clusters.remove(name);
    targets.applied.remove('cluster', name);
    targets.applied.unwarm('cluster', name);
  }

  private setEds(cluster: string, service: string): void {
    const prev = this.edsByCluster.get(cluster);
    if (prev === service) return;
    if (prev !== undefined) this.clearEds(cluster);
    this.edsByCluster.set(cluster, service);
    let set = this.readers.get(service);
    if (!set) {
      set = new Set();
      this.readers.set(service, set);
    }
    set.add(cluster);
  }

  private clearEds(cluster: string): void {
    const prev = this.edsByCluster.get(cluster);
    if (prev === undefined) return;
    this.edsByCluster.delete(cluster);
    const set = this.readers.get(prev);
    set?.delete(cluster);
    if (set?.size === 0) this.readers.delete(prev);
  }

  private applyToReaders(service: string, model: LoadAssignmentModel): void {
    for (const name of this.readers.get(service) ?? [])
      this.opts.targets.clusters.get(name)?.setAssignment(model);
  }

  private publishEdsNames(): void {
    const names = new Set(this.readers.keys());
    // Assignments nobody reads any more are dropped with their subscription.
    for (const s of [...this.assignments.keys()]) if (!names.has(s)) this.dropAssignment(s);
    this.opts.onEdsNames(names);
  }

  /** Validates the `strait.clusters.registry` typed config; issues name the field, as translation does. */
  private registryConfig(
    c: envoy.config.cluster.v3.Cluster,
  ): { ok: true; value: RegistryClusterConfig } | { ok: false; issue: ConfigIssue } {
    const resource = `Cluster "${c.name}"`;
    const any = c.clusterType?.typedConfig;
    if (any?.type_url !== TypeUrl.RegistryCluster) {
      return {
        ok: false,
        issue: {
          code: 'PROXY_ERR_UNKNOWN_TYPE_URL',
          resource,
          path: 'cluster_type.typed_config',
          message: `type ${any?.type_url ?? '(none)'} is not ${TypeUrl.RegistryCluster}`,
        },
      };
    }
    let rc: strait.clusters.registry.v1alpha1.RegistryCluster;
    try {
      rc = RegistryClusterMsg.decode(any.value ?? new Uint8Array());
    } catch (err) {
      return {
        ok: false,
        issue: {
          code: 'PROXY_ERR_INVALID_VALUE',
          resource,
          path: 'cluster_type.typed_config',
          message: `cannot decode RegistryCluster: ${(err as Error).message}`,
        },
      };
    }
    if (!rc.service) {
      return {
        ok: false,
        issue: {
          code: 'PROXY_ERR_MISSING_FIELD',
          resource,
          path: 'cluster_type.typed_config.service',
          message: 'a registry service is required',
        },
      };
    }
    if (!this.opts.registry?.has(rc.registry)) {
      return {
        ok: false,
        issue: {
          code: 'PROXY_ERR_UNKNOWN_REFERENCE',
          resource,
          path: 'cluster_type.typed_config.registry',
          message: `registry "${rc.registry}" is not configured on this proxy (--registry URL#name)`,
        },
      };
    }
    const cells = rc.cells;
    return {
      ok: true,
      value: {
        registry: rc.registry,
        service: rc.service,
        group: rc.group,
        version: rc.version,
        labels: { ...(rc.labels ?? {}) },
        defaultPort: rc.defaultPort,
        staleEndpointTtlMs: rc.staleEndpointTtl
          ? Number(rc.staleEndpointTtl.seconds ?? 0) * 1000 +
            Math.round(Number(rc.staleEndpointTtl.nanos ?? 0) / 1e6)
          : 0,
        cells: {
          localRegion: cells?.localRegion || (this.opts.nodeLocality?.region ?? ''),
          localZone: cells?.localZone || (this.opts.nodeLocality?.zone ?? ''),
          localSubZone: cells?.localSubZone || (this.opts.nodeLocality?.subZone ?? ''),
          regionLabel: cells?.regionLabel ?? '',
          zoneLabel: cells?.zoneLabel ?? '',
          subZoneLabel: cells?.subZoneLabel ?? '',
          mode: cells?.mode === 1 ? 'FAILOVER' : cells?.mode === 2 ? 'LOCAL_ONLY' : 'FLAT',
        },
      },
    };
  }

  close(): void {
    this.warming.clear();
  }
}
