// Wires the xDS pieces together, the one place that knows all of them (as grpc-js-xds's register()):
// transport -> ADS client -> per-type appliers -> the proxy's managers, plus the registry watches of
// scale-out clusters. Startup follows Envoy's init sequence: CDS first; once the first CDS response has
// warmed its clusters (EDS or registry endpoints, or the initial fetch timeout), LDS; the proxy is
// initialized once the first LDS response has warmed its listeners (RDS received).

import type { Registry } from '@strait/registry';
import { TypeUrl } from '@strait/xds';
import type { Bootstrap } from '../config/bootstrap.js';
import { AdsClient, type AdsStatus, type NodeProto } from './ads-client.js';
import { ClusterApplier } from './apply-clusters.js';
import { type InterceptionMode, ListenerApplier } from './apply-listeners.js';
import { RouteApplier } from './apply-routes.js';
import type { BackoffOptions } from './backoff.js';
import type { ApplyTargets } from './context.js';
import { RegistryEndpoints } from './registry-clusters.js';
import { type AdsTransport, GrpcAdsTransport, resolveXdsTarget, type XdsTarget } from './transport.js';

/** user_agent_version in the Node the proxy sends (the package version). */
export const XDS_CLIENT_VERSION = '0.1.0';

export interface XdsOptions {
  /** `--xds-address`: HOST:PORT or unix:///path, replacing the bootstrap's ADS cluster address. */
  xdsAddress?: string;
  /** Registries for scale-out clusters, by the name RegistryCluster.registry uses. */
  registries?: ReadonlyMap<string, string | Registry>;
  interception?: InterceptionMode;
  backoff?: BackoffOptions;
  /** Overrides the bootstrap's initial_fetch_timeout (ms; 0 = wait forever). */
  initialFetchTimeoutMs?: number;
  /** A test seam: any transport (default: grpc-js to the resolved target). */
  transport?: AdsTransport;
}

export class XdsRuntime {
  readonly client: AdsClient;
  readonly clusters: ClusterApplier;
  readonly routes: RouteApplier;
  readonly listeners: ListenerApplier;
  readonly registry: RegistryEndpoints;
  readonly target: XdsTarget;
  private initializedFlag = false;
  private cdsStarted = false;
  private ldsStarted = false;
  private readonly readyWaiters: (() => void)[] = [];
  private cdsTimer: NodeJS.Timeout | undefined;
  private firstCdsSeen = false;
  private firstLdsSeen = false;

  private constructor(target: XdsTarget, node: NodeProto, targets: ApplyTargets, opts: XdsOptions) {
    this.target = target;
    const timeout = opts.initialFetchTimeoutMs ?? target.initialFetchTimeoutMs;
    this.registry = new RegistryEndpoints({
      registries: opts.registries ?? new Map(),
      onAssignment: (cluster, model) => this.clusters.registryAssignment(cluster, model),
      stats: targets.stats,
      log: targets.log,
    });
    this.clusters = new ClusterApplier({
      targets,
      warmingTimeoutMs: timeout,
      registry: this.registry,
      nodeLocality: {
        region: node.locality?.region ?? '',
        zone: node.locality?.zone ?? '',
        subZone: node.locality?.subZone ?? '',
      },
      onEdsNames: (names) => this.client.setNames(TypeUrl.ClusterLoadAssignment, names),
      onClusterActive: (name) => {
        this.routes.clusterActive(name);
        this.listeners.clusterActive(name);
        this.checkCdsWarm();
        this.checkLdsWarm();
      },
    });
    this.routes = new RouteApplier({
      targets,
      warmingTimeoutMs: timeout,
      isClusterWarming: (n) => this.clusters.isWarming(n),
      onRouteActive: (name) => this.listeners.routeActive(name),
      stats: this.clusters.stats,
    });
    this.listeners = new ListenerApplier({
      targets,
      warmingTimeoutMs: timeout,
      interception: opts.interception ?? 'iptables',
      isClusterWarming: (n) => this.clusters.isWarming(n),
      hasRoute: (n) => targets.routes.get(n) !== undefined,
      onRdsNames: (names) => {
        for (const dropped of this.client.setNames(TypeUrl.RouteConfiguration, names))
          this.routes.remove(dropped);
        // Routes nobody names any more (SotW only drops held ones; warming ones go here).
        for (const n of [...this.routes.warming.keys()]) if (!names.has(n)) this.routes.remove(n);
      },
      stats: this.clusters.stats,
    });
    this.client = new AdsClient({
      transport: opts.transport ?? new GrpcAdsTransport(target.target),
      variant: target.variant,
      // Envoy identifies itself beside the bootstrap's node (id, cluster, metadata, locality).
      node: { userAgentName: 'strait-proxy', userAgentVersion: XDS_CLIENT_VERSION, ...node },
      stats: targets.stats,
      log: targets.log,
      ...(opts.backoff || target.backoff ? { backoff: opts.backoff ?? target.backoff } : {}),
      doesNotExistTimeoutMs: timeout > 0 ? timeout : 15_000,
      handlers: {
        [TypeUrl.Cluster]: {
          apply: (u) => {
            const errs = this.clusters.applyCds(u);
            this.client.setResourceCount(TypeUrl.Cluster, this.clusters.size);
            return errs;
          },
          // Also after a response that changed nothing (no clusters at all): LDS must not wait.
          responded: () => {
            this.firstCdsSeen = true;
            this.checkCdsWarm();
          },
        },
        [TypeUrl.ClusterLoadAssignment]: {
          apply: this.clusters.applyEds,
          doesNotExist: this.clusters.edsDoesNotExist,
        },
        [TypeUrl.Listener]: {
          apply: (u) => {
            const errs = this.listeners.applyLds(u);
            this.client.setResourceCount(TypeUrl.Listener, this.listeners.size);
            return errs;
          },
          responded: () => {
            this.firstLdsSeen = true;
            this.checkLdsWarm();
          },
        },
        [TypeUrl.RouteConfiguration]: {
          apply: this.routes.applyRds,
          responded: () => this.checkLdsWarm(),
          doesNotExist: this.routes.doesNotExist,
        },
      },
    });
  }

  /** Undefined when the bootstrap has no dynamic_resources.ads_config and no --xds-address. */
  static create(
    bootstrap: Bootstrap,
    node: NodeProto,
    targets: ApplyTargets,
    opts: XdsOptions = {},
  ): XdsRuntime | undefined {
    const target = resolveXdsTarget(bootstrap, opts.xdsAddress);
    if (!target) return undefined;
    return new XdsRuntime(target, node, targets, opts);
  }

  /** Opens the stream and subscribes CDS; LDS follows once clusters warmed (or the timeout). */
  start(): void {
    if (this.cdsStarted) return;
    this.cdsStarted = true;
    this.client.start();
    this.client.startType(TypeUrl.Cluster);
    const t = this.target.initialFetchTimeoutMs;
    if (t > 0) {
      // Envoy's initial fetch timeout: without a CDS answer, go on to LDS (and readiness) anyway.
      this.cdsTimer = setTimeout(() => this.startLds(), t);
      this.cdsTimer.unref();
    }
  }

  get initialized(): boolean {
    return this.initializedFlag;
  }

  /** Resolves once the initial CDS/EDS/LDS/RDS fetch is done (or timed out). */
  ready(): Promise<void> {
    if (this.initializedFlag) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  status(): AdsStatus {
    return this.client.status();
  }

  private checkCdsWarm(): void {
    if (this.ldsStarted || !this.firstCdsSeen) return;
    if (this.clusters.warming.size === 0) this.startLds();
  }

  private startLds(): void {
    clearTimeout(this.cdsTimer);
    if (this.ldsStarted) return;
    this.ldsStarted = true;
    this.client.startType(TypeUrl.Listener);
    const t = this.target.initialFetchTimeoutMs;
    if (t > 0) setTimeout(() => this.markInitialized(), t).unref();
  }

  private checkLdsWarm(): void {
    if (this.initializedFlag || !this.firstLdsSeen) return;
    if (this.listeners.warming.size === 0) void this.listeners.settled().then(() => this.markInitialized());
  }

  private markInitialized(): void {
    if (this.initializedFlag) return;
    this.initializedFlag = true;
    for (const w of this.readyWaiters.splice(0)) w();
  }

  close(): void {
    clearTimeout(this.cdsTimer);
    this.client.close();
    this.clusters.close();
    this.routes.close();
    this.listeners.close();
    this.registry.close();
  }
}
