// dubbo_proxy: Dubbo2 calls from downstream connections are routed one by one (interface, group, version,
// method, attachments from the fast path; argument values only when a route has params_match) to a
// cluster, a host from the cluster's LB, and a multiplexed upstream connection. The frame is forwarded
// untouched but for its request id. Failures become Dubbo error responses the consumer understands.
import type net from 'node:net';
import { peekRequest, type RequestRoute, writeRequestId } from '@strait/dubbo/codec';
import type { ProxyContext } from '../../context.js';
import type { ProxyCode } from '../../errors.js';
import {
  decodeArguments,
  errorResponse,
  isTwoWay,
  responseOutcome,
  Status,
} from '../../protocols/dubbo/codec.js';
import { type DownstreamHandler, DubboDownstream } from '../../protocols/dubbo/downstream.js';
import { DubboPool, type UpstreamResult, type UpstreamTicket } from '../../protocols/dubbo/upstream.js';
import type { Scope } from '../../stats/store.js';
import type { Cluster } from '../../upstream/cluster.js';
import type { Host } from '../../upstream/host.js';
import { istioLabels } from '../http_connection_manager/istio-labels.js';
import type { ListenerInfo, NetworkFilterInstance } from '../registry.js';
import type { DubboProxyConfig, DubboRouteModel } from './config.js';
import { type CallInfo, matchRoute, pickCluster, selectRouteConfig } from './router.js';
import { DUBBO_PROXY_STATS, DUBBO_ROUTE_STATS } from './stats.js';

/** Knobs with Dubbo's defaults; tests and the bench lower them. */
export const dubboTuning = {
  /** When the call carries no `timeout` attachment and the route sets none. */
  defaultTimeoutMs: 15_000,
  /** Upstream heartbeat period (Dubbo's 60 s); three silent periods close the connection. */
  heartbeatIntervalMs: 60_000,
  /** After READONLY, a downstream with nothing in flight is closed after this long without a call. */
  drainQuietMs: 200,
  /** Bound on calls in flight per downstream connection; past it calls are refused locally. */
  maxInFlightPerConnection: 10_000,
  /** Attempts per call when a host cannot be reached before anything was sent. */
  maxAttempts: 3,
};

type Stats = Scope<typeof DUBBO_PROXY_STATS>;
type RouteStats = Scope<typeof DUBBO_ROUTE_STATS>;

interface Call {
  conn: DubboDownstream;
  downstreamId: bigint;
  route: RequestRoute;
  twoWay: boolean;
  startedAt: number;
  timeoutMs: number;
  attempts: number;
  clusterName: string;
  cluster?: Cluster;
  host?: Host;
  /** Hosts this call already failed to reach (connect failures, nothing sent). */
  tried?: Set<Host>;
  routeStats?: RouteStats;
  sentAt?: number;
  timer?: NodeJS.Timeout;
  ticket?: UpstreamTicket;
  done: boolean;
}

export class DubboProxyFilter implements NetworkFilterInstance, DownstreamHandler {
  readonly stats: Stats;
  private readonly conns = new Map<DubboDownstream, Set<Call>>();
  private readonly routeStats = new Map<string, RouteStats>();

  constructor(
    readonly config: DubboProxyConfig,
    private readonly ctx: ProxyContext,
    private readonly listener: ListenerInfo,
  ) {
    this.stats = ctx.stats.scope(`dubbo.${config.statPrefix}.`, 'dubbo', DUBBO_PROXY_STATS, {
      envoy_dubbo_prefix: config.statPrefix,
    });
  }

  // ---- NetworkFilterInstance ----

  accept(socket: net.Socket, peeked: Buffer): void {
    const conn = new DubboDownstream(socket, this, { drainQuietMs: dubboTuning.drainQuietMs });
    this.conns.set(conn, new Set());
    this.stats.downstream_cx_total.inc();
    this.stats.downstream_cx_active.inc();
    conn.start(peeked);
  }

  drain(): void {
    for (const conn of this.conns.keys()) if (conn.drain()) this.stats.downstream_cx_readonly_sent.inc();
  }

  closeAll(): void {
    for (const conn of [...this.conns.keys()]) conn.close();
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  // ---- DownstreamHandler ----

  closed(conn: DubboDownstream): void {
    const calls = this.conns.get(conn);
    this.conns.delete(conn);
    this.stats.downstream_cx_active.dec();
    if (conn.draining && conn.closedByProxy && conn.inFlight === 0)
      this.stats.downstream_cx_drain_close.inc();
    if (!calls || calls.size === 0) return;
    if (conn.closedByProxy) this.stats.cx_destroy_local_with_active_rq.inc();
    else this.stats.cx_destroy_remote_with_active_rq.inc();
    for (const c of calls) this.abandon(c);
  }

  protocolError(_conn: DubboDownstream, _err: unknown): void {
    this.stats.request_decoding_error.inc();
  }

  event(_conn: DubboDownstream, kind: string): void {
    if (kind === 'response') {
      this.stats.request_invalid_type.inc();
      return;
    }
    if (kind === 'paused') {
      this.stats.downstream_flow_control_paused_reading_total.inc();
      return;
    }
    this.stats.request.inc();
    this.stats.request_event.inc();
    if (kind === 'heartbeat-request') {
      this.stats.heartbeat_downstream.inc();
      this.stats.local_response_success.inc();
    }
  }

  call(conn: DubboDownstream, frame: Buffer): void {
    const stats = this.stats;
    stats.request.inc();
    const twoWay = isTwoWay(frame);
    if (twoWay) stats.request_twoway.inc();
    else stats.request_oneway.inc();
    let route: RequestRoute;
    try {
      route = peekRequest(frame);
    } catch (err) {
      // Framing is intact (the decoder found a whole frame), so only this call fails.
      stats.request_decoding_error.inc();
      if (twoWay) {
        const id = frame.readBigInt64BE(4);
        this.localError(conn, id, Status.BAD_REQUEST, 'PROXY_ERR_PROTOCOL', (err as Error).message);
      }
      return;
    }
    stats.request_decoding_success.inc();
    const calls = this.conns.get(conn);
    if (!calls) return;
    if (calls.size >= dubboTuning.maxInFlightPerConnection) {
      stats.upstream_rq_overflow.inc();
      if (twoWay)
        this.localError(
          conn,
          route.id,
          Status.SERVER_THREADPOOL_EXHAUSTED_ERROR,
          'PROXY_ERR_LIMIT',
          `${calls.size} calls in flight on this connection`,
        );
      return;
    }
    const r = this.route(route);
    if (!r) {
      stats.route_missing.inc();
      if (twoWay)
        this.localError(
          conn,
          route.id,
          Status.SERVICE_NOT_FOUND,
          'PROXY_ERR_NO_ROUTE',
          `no route for ${route.service}:${route.version ?? ''}#${route.method}`,
          { route, flags: 'NR' },
        );
      return;
    }
    const clusterName = pickCluster(r, this.ctx.random()) ?? '';
    const call: Call = {
      conn,
      downstreamId: route.id,
      route,
      twoWay,
      startedAt: performance.now(),
      timeoutMs: r.timeoutMs ?? attachmentTimeout(route) ?? dubboTuning.defaultTimeoutMs,
      attempts: 0,
      clusterName,
      done: false,
    };
    const rs = this.routeStatsFor(clusterName);
    call.routeStats = rs;
    rs?.request.inc();
    if (twoWay) {
      calls.add(call);
      conn.begin();
      stats.request_active.inc();
      call.timer = setTimeout(() => this.onTimeout(call), call.timeoutMs);
    }
    this.dispatch(call);
  }

  // ---- routing and forwarding ----

  private route(route: RequestRoute): DubboRouteModel | undefined {
    const config = selectRouteConfig(this.config.routeConfigs, route);
    if (!config) return undefined;
    let args: readonly unknown[] | undefined | null = null;
    const info: CallInfo = {
      route,
      args: () => {
        if (args === null) {
          args = decodeArguments(route);
          if (args) this.stats.params_decoded.inc();
          else this.stats.params_decoding_error.inc();
        }
        return args;
      },
    };
    return matchRoute(config, info);
  }

  private routeStatsFor(cluster: string): RouteStats | undefined {
    if (!cluster) return undefined;
    let s = this.routeStats.get(cluster);
    if (!s) {
      s = this.ctx.stats.scope(
        `dubbo.${this.config.statPrefix}.route.${cluster}.`,
        'dubbo_route',
        DUBBO_ROUTE_STATS,
        {
          envoy_dubbo_prefix: this.config.statPrefix,
          envoy_cluster_name: cluster,
        },
      );
      // Bounded: route stats exist per cluster named by a route of this filter, a config-sized set.
      this.routeStats.set(cluster, s);
    }
    return s;
  }

  private dispatch(call: Call): void {
    call.attempts++;
    const cluster = this.ctx.clusters.get(call.clusterName);
    if (!cluster) {
      this.stats.unknown_cluster.inc();
      this.fail(
        call,
        Status.SERVICE_NOT_FOUND,
        'PROXY_ERR_UNKNOWN_REFERENCE',
        `unknown cluster "${call.clusterName}"`,
      );
      return;
    }
    let host = cluster.chooseHost({});
    // A retry goes to a host not tried yet when the LB offers one (Envoy's previous_hosts predicate).
    for (let i = 0; i < 4 && host && call.tried?.has(host); i++) host = cluster.chooseHost({});
    if (!host) {
      this.stats.no_healthy_upstream.inc();
      cluster.stats.upstream_cx_none_healthy.inc();
      this.fail(
        call,
        Status.SERVICE_NOT_FOUND,
        'PROXY_ERR_NO_HEALTHY_UPSTREAM',
        `no healthy host in cluster "${cluster.model.name}"`,
      );
      return;
    }
    if (call.twoWay && cluster.rqActive >= cluster.model.circuitBreakers.maxRequests) {
      cluster.stats.upstream_rq_overflow.inc();
      this.stats.upstream_rq_overflow.inc();
      this.fail(
        call,
        Status.SERVER_THREADPOOL_EXHAUSTED_ERROR,
        'PROXY_ERR_OVERFLOW',
        `cluster "${cluster.model.name}" has ${cluster.rqActive} calls in flight (max_requests)`,
      );
      return;
    }
    call.cluster = cluster;
    call.host = host;
    call.tried ??= new Set();
    call.tried.add(host);
    cluster.stats.upstream_rq_total.inc();
    host.rqTotal++;
    if (call.twoWay) {
      cluster.rqActive++;
      cluster.stats.upstream_rq_active.inc();
      host.activeRequests++;
    }
    call.sentAt = performance.now();
    call.ticket = this.pool(cluster, host).send(call.route.frame, call.twoWay, (r) =>
      this.onUpstream(call, r),
    );
  }

  private pool(cluster: Cluster, host: Host): DubboPool {
    const key = `${host.key}|dubbo`;
    const existing = cluster.pools.get(key);
    if (existing instanceof DubboPool) return existing;
    existing?.close(true);
    const cb = cluster.model.circuitBreakers;
    const p = new DubboPool({
      host: host.address,
      port: host.port,
      connectTimeoutMs: cluster.model.connectTimeoutMs,
      maxConnections: Math.max(1, cb.maxConnections),
      maxPending: Math.max(1, cb.maxPendingRequests),
      idleTimeoutMs: cluster.model.idleTimeoutMs,
      tls: cluster.model.tls,
      heartbeatIntervalMs: dubboTuning.heartbeatIntervalMs,
      maxRequestsPerConnection: cluster.model.maxRequestsPerConnection,
      stats: cluster.stats,
      onConnection: (d) => {
        cluster.cxActive += d;
        host.cxActive += d;
      },
      onEvent: (kind) => {
        if (kind === 'heartbeat') this.stats.heartbeat_upstream.inc();
        else if (kind === 'readonly') this.stats.upstream_readonly.inc();
        else this.stats.response_decoding_error.inc();
      },
    });
    cluster.pools.set(key, p);
    return p;
  }

  /** Releases the call's hold on its cluster and host (circuit breaker, least-request). */
  private release(call: Call): void {
    const { cluster, host } = call;
    if (!call.twoWay || !cluster || !host) return;
    cluster.rqActive--;
    cluster.stats.upstream_rq_active.dec();
    host.activeRequests--;
    call.cluster = undefined;
    call.host = undefined;
  }

  private onUpstream(call: Call, r: UpstreamResult): void {
    if (call.done) return;
    const cluster = call.cluster;
    const host = call.host;
    this.release(call);
    if (r.kind === 'failure') {
      if (cluster && host)
        cluster.reportOutcome(host, { local: r.reason === 'reset' ? 'reset' : 'connect-failure' });
      if (!r.sent && r.reason === 'connect-failure' && call.attempts < dubboTuning.maxAttempts) {
        // Nothing reached the provider: another host may take it (READONLY providers refusing connections).
        this.stats.upstream_rq_retry.inc();
        cluster?.stats.upstream_rq_retry.inc();
        this.dispatch(call);
        return;
      }
      if (r.reason === 'overflow') {
        this.stats.upstream_rq_overflow.inc();
        this.fail(
          call,
          Status.SERVER_THREADPOOL_EXHAUSTED_ERROR,
          'PROXY_ERR_OVERFLOW',
          'upstream connection pool is full',
        );
      } else {
        this.stats.upstream_rq_reset.inc();
        if (r.reason === 'reset') cluster?.stats.upstream_rq_rx_reset.inc();
        const code: ProxyCode =
          r.reason === 'reset' ? 'PROXY_ERR_UPSTREAM_RESET' : 'PROXY_ERR_UPSTREAM_CONNECT';
        this.fail(
          call,
          r.reason === 'reset' ? Status.SERVER_ERROR : Status.SERVICE_NOT_FOUND,
          code,
          `upstream ${r.reason}`,
        );
      }
      return;
    }
    // A response: back to the caller under its own id.
    const frame = r.frame;
    const outcome = responseOutcome(frame);
    if (cluster && host) {
      cluster.reportOutcome(host, { status: outcome === 'error' ? httpLikeStatus(frame[3] ?? 0) : 200 });
      if (outcome === 'error') host.rqError++;
      else host.rqSuccess++;
    }
    const rs = call.routeStats;
    if (call.sentAt !== undefined) rs?.upstream_rq_time.observe(performance.now() - call.sentAt);
    this.stats.response_decoding_success.inc();
    if (outcome === 'success') {
      this.stats.response_success.inc();
      rs?.response_success.inc();
    } else if (outcome === 'exception') {
      this.stats.response_exception.inc();
      this.stats.response_business_exception.inc();
      rs?.response_exception.inc();
    } else {
      this.stats.response_error.inc();
      rs?.response_error.inc();
    }
    writeRequestId(frame, call.downstreamId);
    this.finish(call, frame, frame[3] ?? 0, '-');
  }

  private onTimeout(call: Call): void {
    if (call.done) return;
    call.timer = undefined;
    call.ticket?.cancel();
    const { cluster, host } = call;
    if (cluster && host) {
      cluster.stats.upstream_rq_timeout.inc();
      cluster.reportOutcome(host, { local: 'timeout' });
    }
    this.release(call);
    this.stats.upstream_rq_timeout.inc();
    this.fail(
      call,
      Status.SERVER_TIMEOUT,
      'PROXY_ERR_UPSTREAM_TIMEOUT',
      `no answer within ${call.timeoutMs} ms`,
      'UT',
    );
  }

  /** A local error reply for a call that was accepted (counts against the route). */
  private fail(call: Call, status: number, code: ProxyCode, detail: string, flags = 'UF'): void {
    if (call.done) return;
    call.routeStats?.response_error.inc();
    if (!call.twoWay) {
      this.finish(call, undefined, status, flags);
      return;
    }
    this.stats.local_response_error.inc();
    this.stats.response_error.inc();
    const reply = errorResponse(call.downstreamId, status, `strait-proxy: ${detail} [${code}]`);
    this.finish(call, reply, status, flags);
  }

  private localError(
    conn: DubboDownstream,
    id: bigint,
    status: number,
    code: ProxyCode,
    detail: string,
    istio?: { route: RequestRoute; flags: string },
  ): void {
    this.stats.local_response_error.inc();
    this.stats.response_error.inc();
    this.stats.response.inc();
    const reply = errorResponse(id, status, `strait-proxy: ${detail} [${code}]`);
    conn.write(reply);
    if (istio) this.recordIstio(istio.route, '', status, istio.flags, 0, reply.length);
  }

  private finish(call: Call, reply: Buffer | undefined, status: number, flags: string): void {
    call.done = true;
    if (call.timer) clearTimeout(call.timer);
    if (!call.twoWay) return;
    const calls = this.conns.get(call.conn);
    calls?.delete(call);
    this.stats.request_active.dec();
    const ms = performance.now() - call.startedAt;
    this.stats.request_time_ms.observe(ms);
    if (reply && call.conn.open) {
      this.stats.response.inc();
      call.conn.write(reply);
    }
    call.conn.end();
    this.recordIstio(call.route, call.clusterName, status, flags, ms, reply?.length ?? 0);
  }

  /** Downstream went away: stop waiting, drop the upstream answer when it comes. */
  private abandon(call: Call): void {
    if (call.done) return;
    call.done = true;
    if (call.timer) clearTimeout(call.timer);
    call.ticket?.cancel();
    this.release(call);
    this.stats.request_active.dec();
  }

  private recordIstio(
    route: RequestRoute,
    cluster: string,
    status: number,
    flags: string,
    ms: number,
    respBytes: number,
  ): void {
    const l = this.listener;
    const service = route.service;
    this.ctx.istio.recordRequest(
      `dubbo|${l.listenerName}|${cluster}|${service}|${status}|${flags}`,
      () => istioLabels(this.ctx.node, l.direction, cluster, service, 'dubbo', status, undefined, flags),
      ms,
      route.frame.length,
      respBytes,
    );
  }
}

/** Dubbo statuses as the HTTP class outlier detection counts: provider-side failures are 5xx. */
function httpLikeStatus(status: number): number {
  switch (status) {
    case Status.SERVER_TIMEOUT:
    case Status.SERVER_ERROR:
    case Status.SERVER_THREADPOOL_EXHAUSTED_ERROR:
    case Status.SERVICE_NOT_FOUND:
    case Status.BAD_RESPONSE:
    case Status.CHANNEL_INACTIVE:
      return 503;
    default:
      return 400;
  }
}

/** Dubbo consumers send their own per-call timeout as the `timeout` attachment (milliseconds). */
function attachmentTimeout(route: RequestRoute): number | undefined {
  const v = route.attachments['timeout'];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
