// The HTTP connection manager for one filter chain: an HTTP/1.1 server and an h2c server (node's
// parsers, fed sniffed sockets), connection tracking for drain, hostile-input guards (header size,
// header timeout, malformed frames: counted, closed cleanly), and the per-request path: route
// selection, CORS, header mutation, fault injection, then the router. Local replies to gRPC requests are
// trailers-only gRPC errors, as Envoy sends them.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { ProxyContext } from '../../context.js';
import type { Sniffed } from '../../listener/sniff.js';
import type {
  RouteModel,
  RouteTableModel,
  VirtualHostModel,
  WeightedClusterModel,
} from '../../model/route.js';
import { Http1Downstream } from '../../protocols/http1/downstream.js';
import { Http2Downstream } from '../../protocols/http2/downstream.js';
import { type DownstreamExchange, type Headers, headerValue } from '../../protocols/types.js';
import type { Scope } from '../../stats/store.js';
import type { CorsPolicyModel } from '../cors/config.js';
import { decideCors } from '../cors/filter.js';
import { CORS_STATS } from '../cors/stats.js';
import { decideFault } from '../fault/filter.js';
import { FAULT_STATS } from '../fault/stats.js';
import type { ListenerInfo, NetworkFilterInstance } from '../registry.js';
import { type ForwardResult, Router } from '../router/filter.js';
import { applyMutations } from '../router/headers.js';
import { matchRoute, selectVirtualHost } from '../router/route-matcher.js';
import type { HcmConfig } from './config.js';
import { istioLabels } from './istio-labels.js';
import { HCM_STATS } from './stats.js';
import { handleUpgrade } from './upgrade.js';

const GRPC_STATUS_FOR_HTTP: Record<number, number> = {
  400: 13,
  401: 16,
  403: 7,
  404: 12,
  429: 14,
  502: 14,
  503: 14,
  504: 14,
};

export type HcmInstanceOptions = ListenerInfo;

export class HttpConnectionManager implements NetworkFilterInstance {
  readonly stats: Scope<typeof HCM_STATS>;
  private readonly faultStats: Scope<typeof FAULT_STATS>;
  private readonly corsStats: Scope<typeof CORS_STATS>;
  private readonly corsEnabled: boolean;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly router: Router;
  private readonly h1Sockets = new Set<net.Socket>();
  private readonly h2Sessions = new Set<http2.ServerHttp2Session>();
  private readonly busy = new WeakMap<net.Socket, number>();
  private draining = false;
  private activeFaults = 0;

  constructor(
    readonly config: HcmConfig,
    private readonly ctx: ProxyContext,
    private readonly opts: HcmInstanceOptions,
  ) {
    this.stats = ctx.stats.scope(`http.${config.statPrefix}.`, 'http', HCM_STATS, {
      envoy_http_conn_manager_prefix: config.statPrefix,
    });
    this.faultStats = ctx.stats.scope(`http.${config.statPrefix}.fault.`, 'http_fault', FAULT_STATS, {
      envoy_http_conn_manager_prefix: config.statPrefix,
    });
    this.corsStats = ctx.stats.scope(`http.${config.statPrefix}.cors.`, 'http_cors', CORS_STATS, {
      envoy_http_conn_manager_prefix: config.statPrefix,
    });
    this.corsEnabled = config.httpFilters.some((f) => f.kind === 'cors');
    this.router = new Router(ctx.clusters, ctx.random);
    const headersTimeout = config.requestHeadersTimeoutMs || opts.defaultHeadersTimeoutMs;
    this.h1 = http.createServer(
      {
        maxHeaderSize: config.maxRequestHeadersBytes,
        headersTimeout,
        requestTimeout: 0,
        keepAliveTimeout: Math.min(config.idleTimeoutMs, 2 ** 31 - 1),
        connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(headersTimeout / 4))),
        requireHostHeader: false,
        noDelay: true,
      },
      (req, res) => {
        const sock = req.socket;
        this.busy.set(sock, (this.busy.get(sock) ?? 0) + 1);
        res.on('close', () => {
          this.busy.set(sock, (this.busy.get(sock) ?? 1) - 1);
          if (this.draining && (this.busy.get(sock) ?? 0) === 0) sock.destroySoon?.();
        });
        const ex = new Http1Downstream(req, res);
        if (this.draining) ex.closeConnection = true;
        this.stats.downstream_rq_http1_total.inc();
        this.safeHandle(ex);
      },
    );
    this.h1.maxHeadersCount = config.maxHeadersCount;
    // node:http enforces headersTimeout from a connection-tracking interval it starts on 'listening';
    // this server never listens (the listener feeds it sockets), so start the tracking explicitly.
    this.h1.emit('listening');
    this.h1.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      // An upgraded connection is busy for good: a drain leaves it to the end of the drain window.
      this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
      handleUpgrade(this.config, this.ctx, this.stats, req, socket, head);
    });
    this.h1.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) =>
      this.onClientError(err, socket),
    );
    this.h2 = http2.createServer({
      maxSessionMemory: 16,
      maxHeaderListPairs: config.maxHeadersCount * 2,
      settings: {
        maxConcurrentStreams: Math.min(config.maxConcurrentStreams, 2 ** 31 - 1),
        maxHeaderListSize: config.maxRequestHeadersBytes,
      },
    });
    this.h2.on('stream', (stream, headers) => {
      this.stats.downstream_rq_http2_total.inc();
      this.safeHandle(new Http2Downstream(stream, headers));
    });
    this.h2.on('session', (session: http2.ServerHttp2Session) => {
      this.h2Sessions.add(session);
      if (this.draining) session.goaway();
      session.on('error', () => this.stats.downstream_cx_protocol_error.inc());
      session.on('frameError', () => this.stats.downstream_cx_protocol_error.inc());
      session.on('close', () => this.h2Sessions.delete(session));
      session.setTimeout(Math.min(this.config.idleTimeoutMs, 2 ** 31 - 1), () => session.close());
    });
    this.h2.on('sessionError', () => this.stats.downstream_cx_protocol_error.inc());
  }

  /** Takes a sniffed downstream connection; `peeked` are the bytes already read from it. */
  accept(socket: net.Socket, peeked: Buffer, sniffed: Sniffed): void {
    if (sniffed !== 'http/1.1' && sniffed !== 'h2c' && this.config.codec === 'auto') {
      // Not HTTP on an HTTP chain (no application_protocols match configured): count and close cleanly.
      this.stats.downstream_cx_protocol_error.inc();
      socket.destroy();
      return;
    }
    const h2 = sniffed === 'h2c';
    this.stats.downstream_cx_total.inc();
    this.stats.downstream_cx_active.inc();
    socket.once('close', () => this.stats.downstream_cx_active.dec());
    socket.on('error', () => {});
    const useH2 = this.config.codec === 'http2' || (this.config.codec === 'auto' && h2);
    if (useH2) {
      this.stats.downstream_cx_http2_total.inc();
      // http2 reads buffered bytes of the socket itself when it takes it over.
      if (peeked.length) socket.unshift(peeked);
      this.h2.emit('connection', socket);
    } else {
      this.stats.downstream_cx_http1_total.inc();
      this.h1Sockets.add(socket);
      socket.once('close', () => this.h1Sockets.delete(socket));
      // node:http reads the socket's handle directly; hand it the peeked bytes as a data event.
      this.h1.emit('connection', socket);
      if (peeked.length) socket.emit('data', peeked);
      socket.resume();
    }
  }

  private onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    const code = err.code ?? '';
    let status = 400;
    if (code === 'HPE_HEADER_OVERFLOW') {
      this.stats.downstream_rq_headers_too_large.inc();
      status = 431;
    } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADERS_TIMEOUT') {
      this.stats.downstream_rq_header_timeout.inc();
      status = 408;
    } else if (code === 'ECONNRESET' || code === 'EPIPE') {
      socket.destroy();
      return;
    } else this.stats.downstream_cx_protocol_error.inc();
    if (socket.writable && !(socket as net.Socket & { _httpMessage?: unknown })._httpMessage) {
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
    }
    socket.destroySoon?.();
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** Starts draining: HTTP/1 responses get Connection: close (idle ones close now), HTTP/2 gets GOAWAY. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const s of this.h1Sockets) {
      if ((this.busy.get(s) ?? 0) === 0) {
        this.stats.downstream_cx_drain_close.inc();
        s.destroy();
      }
    }
    for (const s of this.h2Sessions) {
      this.stats.downstream_cx_drain_close.inc();
      s.goaway();
      s.close();
    }
  }

  get connectionCount(): number {
    return this.h1Sockets.size + this.h2Sessions.size;
  }

  /** Ends whatever is left (after the drain window). */
  closeAll(): void {
    this.h1.close();
    for (const s of this.h1Sockets) s.destroy();
    for (const s of this.h2Sessions) s.destroy();
  }

  private routeTable(): RouteTableModel | undefined {
    const r = this.config.routes;
    return r.kind === 'inline' ? r.table : this.ctx.routes.get(r.name);
  }

  /** A bug in one request's path resets that request; it never takes the proxy down. */
  private safeHandle(ex: DownstreamExchange): void {
    try {
      this.handle(ex);
    } catch {
      this.stats.downstream_rq_internal_error.inc();
      ex.reset();
    }
  }

  private handle(ex: DownstreamExchange): void {
    const start = performance.now();
    const startTime = new Date();
    this.stats.downstream_rq_total.inc();
    this.stats.downstream_rq_active.inc();
    const head = ex.head;
    const h = head.headers;
    const isGrpc = (headerValue(h, 'content-type') ?? '').startsWith('application/grpc');
    if (this.config.generateRequestId && h['x-request-id'] === undefined) h['x-request-id'] = randomUUID();
    h['x-forwarded-proto'] ??= head.scheme;
    if (this.config.useRemoteAddress) {
      const prev = headerValue(h, 'x-forwarded-for');
      h['x-forwarded-for'] = prev ? `${prev}, ${ex.remoteAddress}` : ex.remoteAddress;
      h['x-envoy-external-address'] = ex.remoteAddress;
    }
    let finished = false;
    let responseHeaders: Headers = {};
    let routeName = '';
    // What the CORS filter adds to whatever response this request ends with (set once routed).
    let corsHeaders: Headers = {};
    const complete = (
      status: number,
      flags: string[],
      cluster: string,
      upstreamHost: string,
      grpcStatus?: string,
    ) => {
      if (finished) return;
      finished = true;
      this.stats.downstream_rq_active.dec();
      const durationMs = performance.now() - start;
      this.stats.downstream_rq_time.observe(durationMs);
      if (flags.includes('DC')) this.stats.downstream_rq_rx_reset.inc();
      const klass = Math.floor(status / 100);
      if (klass >= 1 && klass <= 5) this.stats[`downstream_rq_${klass}xx` as 'downstream_rq_2xx'].inc();
      const flagStr = flags.join(',');
      const proto = isGrpc ? 'grpc' : 'http';
      this.ctx.istio.recordRequest(
        `${this.opts.direction}|${cluster}|${head.authority}|${proto}|${status}|${grpcStatus ?? ''}|${flagStr}`,
        () =>
          istioLabels(
            this.ctx.node,
            this.opts.direction,
            cluster,
            head.authority,
            proto,
            status,
            grpcStatus,
            flagStr,
          ),
        durationMs,
        ex.bytesReceived,
        ex.bytesSent,
      );
      if (this.config.accessLogs.length) {
        this.ctx.accessLog.write(this.config.accessLogs, {
          startTime,
          method: head.method,
          path: head.path,
          protocol: ex.protocol,
          responseCode: status,
          responseFlags: flagStr,
          bytesReceived: ex.bytesReceived,
          bytesSent: ex.bytesSent,
          durationMs,
          upstreamHost,
          upstreamCluster: cluster,
          downstreamRemoteAddress: ex.remoteAddress,
          downstreamLocalAddress: `${ex.localAddress}:${ex.localPort}`,
          routeName,
          ...(grpcStatus === undefined ? {} : { grpcStatus }),
          requestHeaders: { ...h, host: head.authority },
          responseHeaders,
        });
      }
    };
    const localReply = (status: number, body: string, flags: string[], cluster = '', extra: Headers = {}) => {
      if (ex.headersSent) {
        ex.reset();
        complete(status, flags, cluster, '');
        return;
      }
      if (isGrpc) {
        const g = GRPC_STATUS_FOR_HTTP[status] ?? 2;
        responseHeaders = {
          'content-type': 'application/grpc',
          'grpc-status': String(g),
          'grpc-message': encodeURIComponent(body),
          ...extra,
          ...corsHeaders,
        };
        ex.respond(200, responseHeaders, true, false);
        complete(200, flags, cluster, '', String(g));
      } else {
        const buf = Buffer.from(body);
        responseHeaders = {
          'content-type': 'text/plain',
          'content-length': String(buf.length),
          server: this.config.serverName,
          ...extra,
          ...corsHeaders,
        };
        ex.respond(status, responseHeaders, buf.length === 0, false);
        if (buf.length) {
          ex.write(buf);
          ex.end();
        }
        complete(status, flags, cluster, '');
      }
      // Drain any request body so the connection can be reused.
      ex.resume();
    };
    ex.onAbort(() => complete(0, ['DC'], '', ''));

    const table = this.routeTable();
    const vh = table ? selectVirtualHost(table, head.authority) : undefined;
    const ct = headerValue(h, 'content-type');
    const route = vh
      ? matchRoute(vh, {
          path: head.path,
          headers: h,
          method: head.method,
          ...(ct === undefined ? {} : { contentType: ct }),
        })
      : undefined;
    if (!table || !vh || !route) {
      this.stats.no_route.inc();
      localReply(404, '', ['NR']);
      return;
    }
    routeName = route.name;
    if (this.corsEnabled) {
      // The CORS filter sits before fault and router (the order the pilot emits): a preflight it
      // answers never reaches them.
      const cors = decideCors(corsPolicies(route, vh), { method: head.method, headers: h }, this.ctx.random);
      if (cors.kind !== 'none') this.corsStats[cors.originAllowed ? 'origin_valid' : 'origin_invalid'].inc();
      if (cors.kind === 'preflight') {
        responseHeaders = { ...cors.headers, 'content-length': '0', server: this.config.serverName };
        ex.respond(200, responseHeaders, true, false);
        complete(200, [], '', '');
        ex.resume();
        return;
      }
      if (cors.kind === 'continue') corsHeaders = cors.responseHeaders;
    }
    const action = route.action;
    if (action.kind === 'direct_response') {
      this.stats.rq_direct_response.inc();
      localReply(action.status, action.body, []);
      return;
    }
    if (action.kind === 'redirect') {
      this.stats.rq_redirect.inc();
      const host = action.host ?? head.authority;
      const scheme = action.scheme ?? head.scheme;
      const path = action.path ?? head.path;
      localReply(action.status, '', [], '', { location: `${scheme}://${host}${path}` });
      return;
    }
    // Pick the cluster (weighted, or from a header).
    let target: WeightedClusterModel | undefined;
    if (action.clusterHeader) {
      const name = headerValue(h, action.clusterHeader);
      if (name)
        target = {
          name,
          weight: 1,
          requestHeadersToAdd: [],
          requestHeadersToRemove: [],
          responseHeadersToAdd: [],
          responseHeadersToRemove: [],
        };
    } else if (action.clusters.length === 1) target = action.clusters[0];
    else {
      let r = this.ctx.random() * action.totalWeight;
      for (const c of action.clusters) {
        r -= c.weight;
        if (r < 0) {
          target = c;
          break;
        }
      }
      target ??= action.clusters.at(-1);
    }
    if (!target || !this.ctx.clusters.get(target.name)) {
      this.stats.no_cluster.inc();
      localReply(503, 'no healthy upstream', ['NC'], target?.name ?? '');
      return;
    }
    const upstreamHead = { ...head, headers: { ...h } };
    mutateRequest(upstreamHead.headers, table, vh, route, target);
    if (action.prefixRewrite !== undefined && route.match.path.kind !== 'regex') {
      const prefix = route.match.path.value;
      upstreamHead.path = action.prefixRewrite + head.path.slice(prefix.length);
    }
    if (action.hostRewrite) upstreamHead.authority = action.hostRewrite;
    const clusterName = target.name;
    const forward = () => {
      const t0 = performance.now();
      this.router.forward({
        ex,
        head: upstreamHead,
        route,
        action,
        target: target!,
        mutateResponse: (rh) => {
          rh['x-envoy-upstream-service-time'] = String(Math.round(performance.now() - t0));
          mutateResponse(rh, table, vh, route, target!);
          Object.assign(rh, corsHeaders);
          if (!this.config.serverName || rh['server'] === undefined) rh['server'] = this.config.serverName;
          if (this.draining && ex.protocol === 'HTTP/1.1') (ex as Http1Downstream).closeConnection = true;
          responseHeaders = rh;
        },
        localReply: (status, body, flags) => localReply(status, body, [...faultFlags, ...flags], clusterName),
        idleTimeoutMs: action.idleTimeoutMs ?? this.config.streamIdleTimeoutMs,
        ...originalDst(this.ctx, ex.socket),
        done: (r: ForwardResult) =>
          complete(r.status, [...faultFlags, ...r.flags], r.cluster, r.host ? r.host.key : '', r.grpcStatus),
      });
    };

    // Fault injection: route-level override, else virtual host, else the HCM's fault filter.
    const faultFlags: string[] = [];
    const filterFault = this.config.httpFilters.find((f) => f.kind === 'fault');
    const fault = route.fault ?? vh.fault ?? (filterFault?.kind === 'fault' ? filterFault.config : undefined);
    const decision = fault
      ? decideFault(fault, h, clusterName, this.activeFaults, this.ctx.random)
      : undefined;
    if (decision === 'overflow') this.faultStats.faults_overflow.inc();
    if (!decision || decision === 'overflow') {
      forward();
      return;
    }
    this.activeFaults++;
    this.faultStats.active_faults.inc();
    const release = () => {
      this.activeFaults--;
      this.faultStats.active_faults.dec();
    };
    const afterDelay = () => {
      if (finished) {
        release();
        return;
      }
      release();
      if (decision.abort) {
        this.faultStats.aborts_injected.inc();
        faultFlags.push('FI');
        if (decision.abort.grpcStatus !== undefined) {
          responseHeaders = {
            'content-type': 'application/grpc',
            'grpc-status': String(decision.abort.grpcStatus),
            'grpc-message': 'fault%20filter%20abort',
            ...corsHeaders,
          };
          ex.respond(200, responseHeaders, true, false);
          complete(200, faultFlags, clusterName, '', String(decision.abort.grpcStatus));
          ex.resume();
        } else localReply(decision.abort.httpStatus, 'fault filter abort', faultFlags, clusterName);
        return;
      }
      forward();
    };
    if (decision.delayMs !== undefined) {
      this.faultStats.delays_injected.inc();
      faultFlags.push('DI');
      // Hold the body while delayed; the router resumes reading when it starts.
      ex.pause();
      setTimeout(() => {
        ex.resume();
        afterDelay();
      }, decision.delayMs);
    } else afterDelay();
  }
}

/**
 * The CORS policies in force for a route, most specific first: the per-filter configs of route and
 * virtual host; only when neither has one, the deprecated inline `cors` fields (Envoy's fallback).
 */
function corsPolicies(route: RouteModel, vh: VirtualHostModel): CorsPolicyModel[] {
  const perFilter = [route.cors, vh.cors].filter((p): p is CorsPolicyModel => p !== undefined);
  if (perFilter.length > 0) return perFilter;
  return [route.legacyCors, vh.legacyCors].filter((p): p is CorsPolicyModel => p !== undefined);
}

/** The original destination for ORIGINAL_DST clusters, never the accepting socket itself (a loop). */
function originalDst(
  ctx: ProxyContext,
  socket: net.Socket | undefined,
): { originalDst?: { address: string; port: number } } {
  const od = socket ? ctx.originalDst?.(socket) : undefined;
  if (!od || (od.port === socket?.localPort && od.address === socket?.localAddress)) return {};
  return { originalDst: od };
}

function mutateRequest(
  h: Headers,
  table: RouteTableModel,
  vh: VirtualHostModel,
  route: RouteModel,
  wc: WeightedClusterModel,
): void {
  applyMutations(h, wc.requestHeadersToRemove, wc.requestHeadersToAdd);
  applyMutations(h, route.requestHeadersToRemove, route.requestHeadersToAdd);
  applyMutations(h, vh.requestHeadersToRemove, vh.requestHeadersToAdd);
  applyMutations(h, table.requestHeadersToRemove, table.requestHeadersToAdd);
}

function mutateResponse(
  h: Headers,
  table: RouteTableModel,
  vh: VirtualHostModel,
  route: RouteModel,
  wc: WeightedClusterModel,
): void {
  applyMutations(h, wc.responseHeadersToRemove, wc.responseHeadersToAdd);
  applyMutations(h, route.responseHeadersToRemove, route.responseHeadersToAdd);
  applyMutations(h, vh.responseHeadersToRemove, vh.responseHeadersToAdd);
  applyMutations(h, table.responseHeadersToRemove, table.responseHeadersToAdd);
}
