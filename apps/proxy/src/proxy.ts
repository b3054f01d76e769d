// The proxy: owns the shared context, the listener manager, the admin and Prometheus servers, and the
// applied-config record. Its apply*/remove* methods are the seam the xDS client will call, one
// resource at a time; each validates first and leaves the last good config in place on error.
import type http from 'node:http';
import { envoy } from '@strait/xds';
import { AccessLogWriter } from './access-log/logger.js';
import { createAdminServer, createPrometheusServer, listenHttp } from './admin/server.js';
import { SERVER_STATS } from './admin/stats.js';
import { AppliedConfig } from './config/applied.js';
import type { Bootstrap } from './config/bootstrap.js';
import { toProto3Json } from './config/proto-json.js';
import { type ProxyContext, RouteStore } from './context.js';
import { type ConfigIssue, formatIssue, ProxyError } from './errors.js';
import { capturedOriginalDst, netfilterReader } from './listener/capture.js';
import { ListenerManager } from './listener/listener-manager.js';
import { type BootstrapModel, translateBootstrap } from './model/bootstrap.js';
import { translateCluster } from './model/cluster.js';
import { translateLoadAssignment } from './model/endpoint.js';
import { translateListener } from './model/listener.js';
import { translateRouteConfiguration } from './model/route.js';
import { setup } from './setup.js';
import { IstioMetrics } from './stats/istio.js';
import { type Scope, StatsStore } from './stats/store.js';
import { ClusterManager } from './upstream/cluster-manager.js';
import { type XdsOptions, XdsRuntime } from './xds/index.js';

export const VERSION = '0.1.0';

export interface ProxyOptions {
  bootstrap: Bootstrap;
  /** Drain window (Envoy's --drain-time-s); default 15 s. */
  drainTimeMs?: number;
  /** Overrides bootstrap admin.address; undefined = bootstrap's, else 127.0.0.1:15000. */
  adminAddress?: { host: string; port: number };
  /** Prometheus endpoint; null disables; default 0.0.0.0:15090. */
  prometheusAddress?: { host: string; port: number } | null;
  /** Connections a listener holds at once; more are closed and counted (downstream_cx_overflow). Default 100k. */
  maxConnectionsPerListener?: number;
  /** Slowloris guard when an HCM sets no request_headers_timeout (ms). Default 60 s. */
  defaultHeadersTimeoutMs?: number;
  log?: (msg: string) => void;
  random?: () => number;
  /** xDS client options (address override, registries, interception); used when the bootstrap has ads_config. */
  xds?: XdsOptions;
}

export type ApplyResult = { ok: true; changed: boolean } | { ok: false; issues: ConfigIssue[] };
export type ServerState = 'LIVE' | 'DRAINING' | 'PRE_INITIALIZING';

export class StraitProxy {
  readonly ctx: ProxyContext;
  readonly listeners: ListenerManager;
  readonly applied = new AppliedConfig();
  private readonly serverStats: Scope<typeof SERVER_STATS>;
  private admin: http.Server | undefined;
  private prom: http.Server | undefined;
  adminPort = 0;
  prometheusPort = 0;
  private healthCheckFailed = false;
  private draining = false;
  private initialized = false;
  private readonly started = Date.now();
  private readonly drainTimeMs: number;
  private readonly log: (msg: string) => void;
  private statsTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private originalDstErrorLogged = false;
  private readonly exitWaiters: (() => void)[] = [];
  /** The ADS client, when the bootstrap has dynamic_resources.ads_config (or --xds-address). */
  xds: XdsRuntime | undefined;

  private constructor(
    readonly bootstrap: Bootstrap,
    readonly model: BootstrapModel,
    private readonly opts: ProxyOptions,
  ) {
    const stats = new StatsStore();
    const random = opts.random ?? Math.random;
    this.ctx = {
      clusters: new ClusterManager(stats, random),
      routes: new RouteStore(),
      stats,
      istio: new IstioMetrics(),
      accessLog: new AccessLogWriter(),
      node: model.node,
      // ORIGINAL_DST clusters: the destination a capture listener read for this connection, or none.
      originalDst: capturedOriginalDst,
      random,
    };
    this.drainTimeMs = opts.drainTimeMs ?? 15_000;
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.listeners = new ListenerManager(this.ctx, {
      drainTimeMs: this.drainTimeMs,
      defaultHeadersTimeoutMs: opts.defaultHeadersTimeoutMs ?? 60_000,
      maxConnections: opts.maxConnectionsPerListener ?? 100_000,
      originalDst: netfilterReader((err) => {
        if (this.originalDstErrorLogged) return;
        this.originalDstErrorLogged = true;
        this.log(
          `strait-proxy: cannot read original destinations, closing captured connections: ${err.message}`,
        );
      }),
    });
    this.serverStats = stats.scope('server.', 'server', SERVER_STATS);
    this.serverStats.concurrency.set(1);
  }

  /** Validates the bootstrap, starts admin, Prometheus, clusters, then listeners. */
  static async start(opts: ProxyOptions): Promise<StraitProxy> {
    setup();
    const t = translateBootstrap(opts.bootstrap);
    if (!t.ok) {
      throw new ProxyError('PROXY_ERR_BOOTSTRAP_PARSE', t.issues.map(formatIssue).join('\n'), {
        issues: t.issues,
      });
    }
    const p = new StraitProxy(opts.bootstrap, t.value, opts);
    try {
      await p.init();
    } catch (err) {
      await p.shutdown();
      throw err;
    }
    return p;
  }

  private async init(): Promise<void> {
    const adminAddr = this.opts.adminAddress ?? this.model.admin ?? { host: '127.0.0.1', port: 15000 };
    this.admin = createAdminServer(this);
    this.adminPort = await listenHttp(this.admin, adminAddr, 'admin');
    this.log(`strait-proxy: admin listening on ${adminAddr.host}:${this.adminPort}`);
    const promAddr =
      this.opts.prometheusAddress === undefined
        ? { host: '0.0.0.0', port: 15090 }
        : this.opts.prometheusAddress;
    if (promAddr) {
      this.prom = createPrometheusServer(this);
      this.prometheusPort = await listenHttp(this.prom, promAddr, 'prometheus');
      this.log(`strait-proxy: prometheus listening on ${promAddr.host}:${this.prometheusPort}`);
    }
    const sr = this.bootstrap.staticResources;
    this.model.clusters.forEach((m, i) => {
      this.ctx.clusters.addOrUpdate(m);
      const c = sr?.clusters?.[i];
      if (c)
        this.applied.accept('cluster', m.name, envoy.config.cluster.v3.Cluster.encode(c).finish(), '', true);
    });
    for (const [i, m] of this.model.listeners.entries()) {
      await this.listeners.addOrUpdate(m);
      const l = sr?.listeners?.[i];
      if (l)
        this.applied.accept(
          'listener',
          m.name,
          envoy.config.listener.v3.Listener.encode(l).finish(),
          '',
          true,
        );
      this.log(`strait-proxy: listener "${m.name}" on ${m.address.host}:${this.listeners.get(m.name)?.port}`);
    }
    this.startXds();
    this.statsTimer = setInterval(() => this.refreshServerStats(), 1000);
    this.statsTimer.unref();
    this.initialized = true;
    this.refreshServerStats();
  }

  private refreshServerStats(): void {
    const s = this.serverStats;
    s.uptime.set(Math.floor((Date.now() - this.started) / 1000));
    s.live.set(this.state === 'LIVE' ? 1 : 0);
    s.state.set(this.state === 'LIVE' ? 0 : this.state === 'DRAINING' ? 1 : 2);
    s.memory_allocated.set(process.memoryUsage().heapUsed);
    s.total_connections.set(this.listeners.all().reduce((n, l) => n + l.connectionCount, 0));
    s.stats_scope_overflow.set(this.ctx.stats.overflow.value);
    s.istio_series_overflow.set(this.ctx.istio.overflow.value);
    s.access_log_dropped.set(this.ctx.accessLog.dropped.value);
  }

  /** Starts the xDS client: CDS, then EDS, LDS, RDS (src/xds/runtime.ts). Non-blocking, as Envoy's init. */
  private startXds(): void {
    this.xds = XdsRuntime.create(
      this.bootstrap,
      this.bootstrap.node ?? {},
      {
        clusters: this.ctx.clusters,
        listeners: this.listeners,
        routes: this.ctx.routes,
        applied: this.applied,
        stats: this.ctx.stats,
        log: this.log,
      },
      this.opts.xds,
    );
    this.xds?.start();
  }

  get state(): ServerState {
    if (!this.initialized) return 'PRE_INITIALIZING';
    // Envoy stays PRE_INITIALIZING until the initial xDS fetch (clusters, listeners) is done.
    if (this.xds && !this.xds.initialized) return 'PRE_INITIALIZING';
    return this.draining || this.healthCheckFailed ? 'DRAINING' : 'LIVE';
  }

  // ---- the incremental apply API (what the xDS client calls) ----

  async applyListener(l: envoy.config.listener.v3.Listener.$Properties, version = ''): Promise<ApplyResult> {
    const bytes = envoy.config.listener.v3.Listener.encode(l).finish();
    const t = translateListener(l);
    if (!t.ok) {
      this.applied.reject('listener', l.name ?? '', bytes, version, t.issues);
      return { ok: false, issues: t.issues };
    }
    try {
      const r = await this.listeners.addOrUpdate(t.value);
      this.applied.accept('listener', t.value.name, bytes, version, false);
      return { ok: true, changed: r !== 'unchanged' };
    } catch (err) {
      const issues: ConfigIssue[] = [
        {
          code: 'PROXY_ERR_LISTEN',
          resource: `Listener "${l.name ?? ''}"`,
          path: 'address',
          message: (err as Error).message,
        },
      ];
      this.applied.reject('listener', l.name ?? '', bytes, version, issues);
      return { ok: false, issues };
    }
  }

  removeListener(name: string): void {
    this.listeners.remove(name);
    this.applied.remove('listener', name);
  }

  applyCluster(c: envoy.config.cluster.v3.Cluster.$Properties, version = ''): ApplyResult {
    const bytes = envoy.config.cluster.v3.Cluster.encode(c).finish();
    const t = translateCluster(c);
    if (!t.ok) {
      this.applied.reject('cluster', c.name ?? '', bytes, version, t.issues);
      return { ok: false, issues: t.issues };
    }
    const changed = this.ctx.clusters.addOrUpdate(t.value);
    this.applied.accept('cluster', t.value.name, bytes, version, false);
    return { ok: true, changed };
  }

  removeCluster(name: string): void {
    this.ctx.clusters.remove(name);
    this.applied.remove('cluster', name);
  }

  applyRouteConfiguration(
    rc: envoy.config.route.v3.RouteConfiguration.$Properties,
    version = '',
  ): ApplyResult {
    const bytes = envoy.config.route.v3.RouteConfiguration.encode(rc).finish();
    const t = translateRouteConfiguration(rc);
    if (!t.ok) {
      this.applied.reject('route', rc.name ?? '', bytes, version, t.issues);
      return { ok: false, issues: t.issues };
    }
    this.ctx.routes.set(t.value.name, t.value);
    this.applied.accept('route', t.value.name, bytes, version, false);
    return { ok: true, changed: true };
  }

  removeRouteConfiguration(name: string): void {
    this.ctx.routes.delete(name);
    this.applied.remove('route', name);
  }

  applyLoadAssignment(
    cla: envoy.config.endpoint.v3.ClusterLoadAssignment.$Properties,
    version = '',
  ): ApplyResult {
    const bytes = envoy.config.endpoint.v3.ClusterLoadAssignment.encode(cla).finish();
    const t = translateLoadAssignment(cla);
    if (!t.ok) {
      this.applied.reject('endpoint', cla.clusterName ?? '', bytes, version, t.issues);
      return { ok: false, issues: t.issues };
    }
    const changed = this.ctx.clusters.applyAssignment(t.value);
    this.applied.accept('endpoint', t.value.clusterName, bytes, version, false);
    return { ok: true, changed };
  }

  // ---- admin views ----

  listenerPort(name: string): number | undefined {
    return this.listeners.get(name)?.port;
  }

  configDump(): unknown {
    const bytes = envoy.config.bootstrap.v3.Bootstrap.encode(this.bootstrap).finish();
    return this.applied.dump(toProto3Json('envoy.config.bootstrap.v3.Bootstrap', bytes));
  }

  clustersText(): string {
    const out: string[] = [];
    for (const c of this.ctx.clusters.all()) {
      const n = c.model.name;
      const cb = c.model.circuitBreakers;
      out.push(`${n}::observability_name::${n}`);
      out.push(`${n}::default_priority::max_connections::${cb.maxConnections}`);
      out.push(`${n}::default_priority::max_pending_requests::${cb.maxPendingRequests}`);
      out.push(`${n}::default_priority::max_requests::${cb.maxRequests}`);
      out.push(`${n}::default_priority::max_retries::${cb.maxRetries}`);
      out.push(
        `${n}::added_via_api::${!this.bootstrap.staticResources?.clusters?.some((x) => x.name === n)}`,
      );
      for (const h of c.hosts()) {
        const p = `${n}::${h.key}`;
        out.push(`${p}::cx_active::${h.cxActive}`);
        out.push(`${p}::rq_active::${h.activeRequests}`);
        out.push(`${p}::rq_error::${h.rqError}`);
        out.push(`${p}::rq_success::${h.rqSuccess}`);
        out.push(`${p}::rq_total::${h.rqTotal}`);
        out.push(`${p}::hostname::${h.hostname}`);
        out.push(`${p}::health_flags::${h.healthFlags()}`);
        out.push(`${p}::weight::${h.weight}`);
        out.push(`${p}::region::${h.locality.region}`);
        out.push(`${p}::zone::${h.locality.zone}`);
        out.push(`${p}::sub_zone::${h.locality.subZone}`);
        out.push(`${p}::canary::false`);
        out.push(`${p}::priority::${h.priority}`);
        out.push(`${p}::success_rate::-1`);
        out.push(`${p}::local_origin_success_rate::-1`);
      }
    }
    return `${out.join('\n')}\n`;
  }

  clustersJson(): unknown {
    return {
      cluster_statuses: this.ctx.clusters.all().map((c) => ({
        name: c.model.name,
        added_via_api: !this.bootstrap.staticResources?.clusters?.some((x) => x.name === c.model.name),
        host_statuses: c.hosts().map((h) => ({
          address: { socket_address: { address: h.address, port_value: h.port } },
          stats: [
            { name: 'cx_active', type: 'GAUGE', value: h.cxActive },
            { name: 'rq_active', type: 'GAUGE', value: h.activeRequests },
            { name: 'rq_total', value: h.rqTotal },
            { name: 'rq_error', value: h.rqError },
          ],
          health_status: {
            eds_health_status: h.health,
            ...(h.ejected ? { failed_outlier_check: true } : {}),
          },
          weight: h.weight,
          priority: h.priority,
          locality: { region: h.locality.region, zone: h.locality.zone, sub_zone: h.locality.subZone },
        })),
      })),
    };
  }

  listenersText(): string {
    return `${this.listeners
      .all()
      .map((l) => `${l.model.name}::${l.model.address.host}:${l.port}`)
      .join('\n')}\n`;
  }

  listenersJson(): unknown {
    return {
      listener_statuses: this.listeners.all().map((l) => ({
        name: l.model.name,
        local_address: { socket_address: { address: l.model.address.host, port_value: l.port } },
      })),
    };
  }

  statsText(filter?: RegExp): string {
    this.refreshServerStats();
    return this.ctx.stats.text(filter);
  }

  statsJson(filter?: RegExp): ReturnType<StatsStore['json']> {
    this.refreshServerStats();
    return this.ctx.stats.json(filter);
  }

  prometheus(): string {
    this.refreshServerStats();
    return this.ctx.stats.prometheus() + this.ctx.istio.prometheus();
  }

  serverInfo(): unknown {
    const up = Math.floor((Date.now() - this.started) / 1000);
    return {
      version: `strait-proxy/${VERSION}`,
      state: this.state,
      hot_restart_version: 'disabled',
      uptime_current_epoch: `${up}s`,
      uptime_all_epochs: `${up}s`,
      command_line_options: { drain_time: `${this.drainTimeMs / 1000}s`, concurrency: 1 },
      node: {
        id: this.model.node.id,
        cluster: this.model.node.cluster,
        metadata: this.model.node.metadata,
        locality: this.model.node.locality,
      },
    };
  }

  setHealthCheckFailed(v: boolean): void {
    this.healthCheckFailed = v;
  }

  /** Drains listeners (graceful: keep serving in-flight work for the drain window). */
  async drain(graceful: boolean, inboundOnly = false): Promise<void> {
    if (!inboundOnly) this.draining = true;
    await this.listeners.drainAll(graceful, inboundOnly);
  }

  /** SIGTERM: drain gracefully, wait the drain window (or until idle), then exit cleanly. */
  async drainAndShutdown(): Promise<void> {
    await this.drain(true);
    const deadline = Date.now() + this.drainTimeMs;
    while (Date.now() < deadline && this.listeners.all().some((l) => l.connectionCount > 0)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.shutdown();
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    this.xds?.close();
    this.listeners.close();
    this.ctx.clusters.close();
    this.ctx.accessLog.close();
    await Promise.all(
      [this.admin, this.prom].map(
        (s) =>
          new Promise<void>((r) => {
            if (!s?.listening) return r();
            s.closeAllConnections();
            s.close(() => r());
          }),
      ),
    );
    for (const w of this.exitWaiters) w();
  }

  /** Resolves after shutdown (quitquitquit, SIGTERM). */
  waitForExit(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => this.exitWaiters.push(r));
  }
}
