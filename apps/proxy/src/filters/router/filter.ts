// The router: forwards one downstream exchange to a cluster with per-route timeout, retries
// (retry_on, num_retries, per_try_timeout, backoff), circuit breakers, outlier reporting and request
// mirroring. The request body is buffered (bounded) while it streams so a retry or mirror can replay
// it; past the bound, retries and mirrors are skipped rather than buffering without limit.

import { retryLimit } from '../../model/cluster.js';
import type {
  ForwardActionModel,
  RetryPolicyModel,
  RouteModel,
  WeightedClusterModel,
} from '../../model/route.js';
import {
  type DownstreamExchange,
  type Headers,
  headerValue,
  type RequestHead,
  type UpstreamStream,
} from '../../protocols/types.js';
import type { Cluster } from '../../upstream/cluster.js';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import type { Host } from '../../upstream/host.js';
import { murmur3 } from '../../upstream/lb/hash.js';

/** Bytes of request body kept for retries and mirrors (Envoy's per_request_buffer_limit is similar). */
export const RETRY_BUFFER_LIMIT = 256 * 1024;

export interface ForwardResult {
  status: number;
  flags: string[];
  host?: Host;
  cluster: string;
  grpcStatus?: string;
}

export type LocalReply = (status: number, body: string, flags: string[]) => void;

export interface ForwardRequest {
  ex: DownstreamExchange;
  head: RequestHead;
  route: RouteModel;
  action: ForwardActionModel;
  target: WeightedClusterModel;
  /** Mutations applied to the upstream response headers (route, vhost, table). */
  mutateResponse(h: Headers): void;
  localReply: LocalReply;
  done(r: ForwardResult): void;
  originalDst?: { address: string; port: number };
  /** Stream idle timeout (route idle_timeout, else the HCM's stream_idle_timeout); 0 = none. */
  idleTimeoutMs: number;
}

const GRPC_CT = 'application/grpc';

export class Router {
  constructor(
    private readonly cm: ClusterManager,
    private readonly random: () => number = Math.random,
  ) {}

  forward(req: ForwardRequest): void {
    const { ex, action, target } = req;
    const cluster = this.cm.get(target.name);
    if (!cluster) {
      req.localReply(503, 'no healthy upstream', ['NC']);
      return;
    }
    new Forwarding(this.cm, cluster, req, this.random).start();
    this.mirror(req, action);
    void ex;
  }

  private mirror(req: ForwardRequest, action: ForwardActionModel): void {
    for (const m of action.mirrors) {
      if (this.random() >= m.probability) continue;
      const cluster = this.cm.get(m.cluster);
      if (!cluster) continue;
      const chunks: Buffer[] = [];
      let size = 0;
      let overflow = false;
      req.ex.onData((c) => {
        size += c.length;
        if (size > RETRY_BUFFER_LIMIT) overflow = true;
        else chunks.push(c);
      });
      req.ex.onEnd(() => {
        if (overflow) return;
        const host = cluster.chooseHost({});
        if (!host) return;
        const authority = req.head.authority.replace(/(:\d+)?$/, (p) => `-shadow${p}`);
        const pool = this.cm.pool(cluster, host, req.ex.protocol, { ...req.head, authority });
        cluster.stats.upstream_rq_mirror.inc();
        const us = pool.request(
          { ...req.head, authority },
          {
            onConnected: () => {},
            onHeaders: () => {},
            onData: () => {},
            onTrailers: () => {},
            onEnd: () => {},
            onError: () => {},
          },
        );
        for (const c of chunks) us.write(c);
        us.end();
      });
    }
  }
}

type Failure = 'connect-failure' | 'reset' | 'timeout';

class Forwarding {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private overflow = false;
  private downstreamEnded = false;
  private requestTrailers: Headers | undefined;
  private attempt = 0;
  private current: UpstreamStream | undefined;
  private currentHost: Host | undefined;
  private responseStarted = false;
  private finished = false;
  private globalTimer: NodeJS.Timeout | undefined;
  private perTryTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private inRetry = false;
  private readonly retry: RetryPolicyModel | undefined;
  private readonly hash: number | undefined;
  private releaseAttempt: (() => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private upstreamBlocked = false;
  private downstreamBlocked = false;
  /** Hosts this request was sent to (retry_host_predicate previous_hosts). */
  private readonly tried = new Set<Host>();

  constructor(
    private readonly cm: ClusterManager,
    private readonly cluster: Cluster,
    private readonly req: ForwardRequest,
    private readonly random: () => number,
  ) {
    this.retry = req.action.retry;
    this.hash = computeHash(req);
  }

  /** Any byte either way re-arms the stream idle timer (Envoy's stream_idle_timeout / route idle_timeout). */
  private touch(): void {
    const ms = this.req.idleTimeoutMs;
    if (!ms || this.finished) return;
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.abortCurrent();
      this.fail(408, 'stream timeout', ['SI']);
    }, ms);
    this.idleTimer.unref();
  }

  start(): void {
    const { ex } = this.req;
    this.touch();
    ex.onData((c) => {
      this.touch();
      // Only a request that may be retried keeps its body (bounded); others stream without a copy.
      if (this.retry && !this.overflow) {
        this.buffered += c.length;
        if (this.buffered > RETRY_BUFFER_LIMIT) {
          this.overflow = true;
          this.chunks.length = 0;
        } else this.chunks.push(c);
      }
      const cur = this.current;
      if (cur && !cur.write(c) && !this.upstreamBlocked) {
        // One drain wait at a time, whatever the number of chunks already in flight.
        this.upstreamBlocked = true;
        ex.pause();
        cur.onDrain(() => {
          this.upstreamBlocked = false;
          ex.resume();
        });
      }
    });
    ex.onEnd((trailers) => {
      this.downstreamEnded = true;
      this.requestTrailers = trailers;
      this.current?.end(trailers);
      this.startGlobalTimer();
      this.startPerTryTimer();
    });
    ex.onAbort(() => {
      if (this.finished) return;
      this.abortCurrent();
      this.finish({ status: 0, flags: ['DC'], cluster: this.cluster.model.name });
    });
    this.send();
  }

  private startGlobalTimer(): void {
    const ms = this.req.action.timeoutMs;
    if (!ms || this.globalTimer) return;
    this.globalTimer = setTimeout(() => {
      this.cluster.stats.upstream_rq_timeout.inc();
      this.abortCurrent();
      this.fail(504, 'upstream request timeout', ['UT']);
    }, ms);
  }

  private startPerTryTimer(): void {
    const ms = this.retry?.perTryTimeoutMs;
    if (!ms || !this.current || this.perTryTimer || this.responseStarted) return;
    this.perTryTimer = setTimeout(() => {
      this.perTryTimer = undefined;
      this.cluster.stats.upstream_rq_per_try_timeout.inc();
      if (this.currentHost) this.cluster.reportOutcome(this.currentHost, { local: 'timeout' });
      this.abortCurrent();
      if (!this.maybeRetry('timeout')) this.fail(504, 'upstream request timeout', ['UT']);
    }, ms);
  }

  private send(): void {
    const { cluster, req } = this;
    const cb = cluster.model.circuitBreakers;
    if (cluster.rqActive >= cb.maxRequests) {
      cluster.stats.upstream_rq_overflow.inc();
      this.fail(503, 'upstream connect error or disconnect/reset before headers. reset reason: overflow', [
        'UO',
      ]);
      return;
    }
    if (cluster.rqPending >= cb.maxPendingRequests) {
      cluster.stats.upstream_rq_pending_overflow.inc();
      this.fail(503, 'upstream connect error or disconnect/reset before headers. reset reason: overflow', [
        'UO',
      ]);
      return;
    }
    let host: Host | undefined;
    if (cluster.model.discovery === 'ORIGINAL_DST') {
      host = req.originalDst
        ? this.cm.originalDstHost(cluster, req.originalDst.address, req.originalDst.port)
        : undefined;
    } else {
      const lbCtx = this.hash === undefined ? {} : { hash: this.hash };
      host = cluster.chooseHost(lbCtx);
      // previous_hosts: a retry re-picks (bounded) rather than land on a host that already failed it.
      const r = this.retry;
      if (r?.avoidPreviousHosts) {
        for (let i = 0; i < r.hostSelectionMaxAttempts && host && this.tried.has(host); i++)
          host = cluster.chooseHost(lbCtx);
      }
    }
    if (!host) {
      cluster.stats.upstream_cx_none_healthy.inc();
      this.fail(503, 'no healthy upstream', ['UH']);
      return;
    }
    if (cluster.cxActive >= cb.maxConnections) cluster.stats.upstream_cx_overflow.inc();
    this.attempt++;
    this.currentHost = host;
    this.tried.add(host);
    const pool = this.cm.pool(cluster, host, req.ex.protocol, req.head);
    // Only a retry changes the head (its attempt count); the first attempt sends it as built, uncopied.
    const head: RequestHead =
      this.attempt > 1
        ? { ...req.head, headers: { ...req.head.headers, 'x-envoy-attempt-count': String(this.attempt) } }
        : req.head;
    // Circuit breaker accounting for this attempt; released exactly once.
    cluster.rqActive++;
    cluster.rqPending++;
    host.activeRequests++;
    host.rqTotal++;
    cluster.stats.upstream_rq_total.inc();
    cluster.stats.upstream_rq_active.inc();
    cluster.stats.upstream_rq_pending_active.inc();
    let pending = true;
    const clearPending = () => {
      if (!pending) return;
      pending = false;
      cluster.rqPending--;
      cluster.stats.upstream_rq_pending_active.dec();
    };
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearPending();
      cluster.rqActive--;
      host.activeRequests--;
      cluster.stats.upstream_rq_active.dec();
    };
    this.releaseAttempt = release;
    const attemptNo = this.attempt;
    const isCurrent = () => this.attempt === attemptNo && !this.finished;
    const us = pool.request(head, {
      onConnected: clearPending,
      onHeaders: (status, headers, endStream) => {
        if (!isCurrent()) return;
        this.touch();
        cluster.reportOutcome(host, { status });
        countStatus(cluster, status);
        if (status >= 500) host.rqError++;
        else host.rqSuccess++;
        if (this.retriableStatus(status, headers) && this.maybeRetry('status')) {
          us.abort();
          release();
          return;
        }
        this.commit(status, headers, endStream);
      },
      onData: (c) => {
        if (!isCurrent() || !this.responseStarted) return;
        this.touch();
        if (!req.ex.write(c) && !this.downstreamBlocked) {
          this.downstreamBlocked = true;
          us.pause();
          req.ex.onDrain(() => {
            this.downstreamBlocked = false;
            us.resume();
          });
        }
      },
      onTrailers: (t) => {
        if (isCurrent()) this.responseTrailers = t;
      },
      onEnd: () => {
        release();
        if (!isCurrent()) return;
        if (!this.responseStarted) return;
        req.ex.end(this.responseTrailers);
        this.finish({
          status: this.status,
          flags: this.flags,
          host,
          cluster: cluster.model.name,
          ...this.grpcStatusOf(),
        });
      },
      onError: (kind, err) => {
        release();
        if (!isCurrent()) return;
        void err;
        if (kind === 'connect-failure') cluster.stats.upstream_cx_connect_fail.value;
        else cluster.stats.upstream_rq_rx_reset.inc();
        cluster.reportOutcome(host, { local: kind });
        host.rqError++;
        if (this.responseStarted) {
          req.ex.reset();
          this.finish({
            status: this.status,
            flags: [...this.flags, 'UR'],
            host,
            cluster: cluster.model.name,
          });
          return;
        }
        if (this.maybeRetry(kind)) return;
        if (kind === 'connect-failure') {
          this.fail(
            503,
            `upstream connect error or disconnect/reset before headers. reset reason: connection failure`,
            ['UF', ...(this.attempt > 1 ? ['URX'] : [])],
          );
        } else {
          this.fail(
            503,
            'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
            ['UC', ...(this.attempt > 1 ? ['URX'] : [])],
          );
        }
      },
    });
    this.current = us;
    if (this.upstreamBlocked) {
      // The previous attempt's drain will never come: read the downstream again.
      this.upstreamBlocked = false;
      req.ex.resume();
    }
    for (const c of this.chunks) us.write(c);
    if (this.downstreamEnded) {
      us.end(this.requestTrailers);
      this.startGlobalTimer();
      this.startPerTryTimer();
    }
  }

  private responseTrailers: Headers | undefined;
  private status = 0;
  private flags: string[] = [];

  private grpcStatusOf(): { grpcStatus?: string } {
    const g = this.responseTrailers?.['grpc-status'] ?? this.responseHeaders?.['grpc-status'];
    return g === undefined ? {} : { grpcStatus: String(g) };
  }
  private responseHeaders: Headers | undefined;

  private commit(status: number, headers: Headers, endStream: boolean): void {
    const { req } = this;
    clearTimeout(this.perTryTimer);
    this.perTryTimer = undefined;
    if (this.attempt > 1) this.cluster.stats.upstream_rq_retry_success.inc();
    this.responseStarted = true;
    this.status = status;
    this.responseHeaders = headers;
    const h = { ...headers };
    req.mutateResponse(h);
    const grpc = (headerValue(headers, 'content-type') ?? '').startsWith(GRPC_CT);
    try {
      req.ex.respond(status, h, endStream, grpc || 'trailer' in headers || true);
    } catch {
      // A head node refuses to write (e.g. a header value from upstream it deems invalid): reset this
      // request only, never throw out of an upstream event.
      this.current?.abort();
      req.ex.reset();
      this.finish({ status: 502, flags: [...this.flags, 'UPE'], cluster: this.cluster.model.name });
      return;
    }
    if (endStream) {
      // Trailers-only (gRPC) or empty response: complete now.
      this.releaseAttempt?.();
      this.finish({
        status,
        flags: this.flags,
        ...(this.currentHost ? { host: this.currentHost } : {}),
        cluster: this.cluster.model.name,
        ...this.grpcStatusOf(),
      });
    }
  }

  private retriableStatus(status: number, headers: Headers): boolean {
    const r = this.retry;
    if (!r) return false;
    if (r.retryOn.has('5xx') && status >= 500) return true;
    if (r.retryOn.has('gateway-error') && (status === 502 || status === 503 || status === 504)) return true;
    if (r.retryOn.has('retriable-4xx') && status === 409) return true;
    if (r.retryOn.has('retriable-status-codes') && r.retriableStatusCodes.includes(status)) return true;
    const grpc = headerValue(headers, 'grpc-status');
    if (grpc !== undefined) {
      const g = Number(grpc);
      if (r.retryOn.has('cancelled') && g === 1) return true;
      if (r.retryOn.has('deadline-exceeded') && g === 4) return true;
      if (r.retryOn.has('resource-exhausted') && g === 8) return true;
      if (r.retryOn.has('internal') && g === 13) return true;
      if (r.retryOn.has('unavailable') && g === 14) return true;
    }
    return false;
  }

  /** Schedules a retry if the policy allows `reason`; returns false when the request must fail now. */
  private maybeRetry(reason: Failure | 'status'): boolean {
    const r = this.retry;
    if (!r || this.responseStarted || this.finished) return false;
    if (reason !== 'status') {
      const on = r.retryOn;
      const ok =
        on.has('5xx') ||
        on.has('gateway-error') ||
        (reason === 'connect-failure' && (on.has('connect-failure') || on.has('reset-before-request'))) ||
        (reason === 'reset' && on.has('reset'));
      if (!ok) return false;
    }
    if (this.attempt > r.numRetries) {
      this.cluster.stats.upstream_rq_retry_limit_exceeded.inc();
      this.flags = [...this.flags, 'URX'];
      return false;
    }
    if (this.overflow) return false;
    const cb = this.cluster.model.circuitBreakers;
    if (this.cluster.retriesActive >= retryLimit(cb, this.cluster.rqActive, this.cluster.rqPending)) {
      this.cluster.stats.upstream_rq_retry_overflow.inc();
      return false;
    }
    this.cluster.retriesActive++;
    this.inRetry = true;
    this.cluster.stats.upstream_rq_retry.inc();
    clearTimeout(this.perTryTimer);
    this.perTryTimer = undefined;
    this.current = undefined;
    // Envoy's fully jittered exponential backoff: random in [0, base * 2^(n-1)], capped at max.
    const ceiling = Math.min(r.backoffMaxMs, r.backoffBaseMs * 2 ** (this.attempt - 1));
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.cluster.retriesActive--;
        this.inRetry = false;
        if (!this.finished) this.send();
      },
      Math.floor(this.random() * ceiling),
    );
    return true;
  }

  private abortCurrent(): void {
    if (this.current) {
      this.cluster.stats.upstream_rq_tx_reset.inc();
      this.current.abort();
      this.current = undefined;
    }
    this.releaseAttempt?.();
  }

  private fail(status: number, body: string, flags: string[]): void {
    if (this.finished) return;
    if (this.responseStarted) {
      this.req.ex.reset();
      this.finish({
        status: this.status,
        flags: [...this.flags, ...flags],
        cluster: this.cluster.model.name,
      });
      return;
    }
    this.finished = true;
    this.cleanup();
    this.req.localReply(status, body, [...new Set([...this.flags, ...flags])]);
  }

  private finish(r: ForwardResult): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    this.req.done(r);
  }

  private cleanup(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.globalTimer);
    clearTimeout(this.perTryTimer);
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      if (this.inRetry) this.cluster.retriesActive--;
    }
    this.releaseAttempt?.();
  }
}

function countStatus(cluster: Cluster, status: number): void {
  if (status >= 500) cluster.stats.upstream_rq_5xx.inc();
  else if (status >= 400) cluster.stats.upstream_rq_4xx.inc();
  else if (status >= 300) cluster.stats.upstream_rq_3xx.inc();
  else if (status >= 200) cluster.stats.upstream_rq_2xx.inc();
}

function computeHash(req: ForwardRequest): number | undefined {
  let hash: number | undefined;
  for (const p of req.action.hashPolicy) {
    let key: string | undefined;
    if (p.kind === 'header') key = headerValue(req.head.headers, p.name);
    else if (p.kind === 'source_ip') key = req.ex.remoteAddress;
    else if (p.kind === 'query') {
      const q = req.head.path.indexOf('?');
      key = q >= 0 ? (new URLSearchParams(req.head.path.slice(q + 1)).get(p.name) ?? undefined) : undefined;
    } else if (p.kind === 'cookie') {
      const c = headerValue(req.head.headers, 'cookie') ?? '';
      key = c
        .split(';')
        .map((s) => s.trim().split('='))
        .find(([k]) => k === p.name)?.[1];
    }
    if (key === undefined) continue;
    const h = murmur3(key);
    hash = hash === undefined ? h : (((hash << 1) | (hash >>> 31)) ^ h) >>> 0;
    if (p.terminal) break;
  }
  return hash;
}
