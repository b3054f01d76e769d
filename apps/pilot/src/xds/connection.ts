// One ADS stream (SotW or Delta) from one proxy. Protocol bookkeeping (nonces, versions, ACK/NACK,
// subscriptions) is @strait/xds/stream's; this class adds the proxy, the push context it was last
// pushed, the make-before-break push order and a bounded send path that disconnects a client that
// cannot keep up instead of letting it hold memory or a push slot.
import type { envoy } from '@strait/xds';
import {
  DeltaServerConnection,
  type RequestResult,
  type ResourceSnapshot,
  SotwServerConnection,
  type TypeSyncStatus,
  type VersionedResource,
} from '@strait/xds/stream';
import { PilotError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { type ProxyInfo, proxyFromNode } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import type { EncodedResponse, ResponseEncoder } from './encoder.js';
import type { Generators } from './generators.js';
import type { PushRequest } from './push-request.js';
import { EDS, isServedType, PUSH_ORDER, shortType, type TypeUrl } from './type-urls.js';

type DiscoveryRequest = envoy.service.discovery.v3.DiscoveryRequest.$Properties;
type DeltaDiscoveryRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties;

/** The wire side of a stream; a seam so tests can drive a connection without gRPC. */
export interface Transport {
  readonly peer: string;
  /** Who the peer authenticated as on the TLS listener (certificate SAN/subject, or a token digest). */
  readonly identity?: string;
  /** Writes one encoded response; `done` runs once it has been handed to the socket. */
  write(response: EncodedResponse, done: () => void): void;
  /** Ends the stream with a gRPC status code and message. */
  close(code: number, message: string): void;
}

/** Bytes written to streams but not yet flushed, across all connections: push fan-out waits on it. */
export interface SendBudget {
  pendingBytes: number;
  readonly limitBytes: number;
}

export interface ConnectionDeps {
  readonly generators: Generators;
  readonly encoder: ResponseEncoder;
  readonly sendBudget: SendBudget;
  /**
   * Queues this connection for a turn at writing (the push queue, bounded by concurrency and the send
   * budget). Without it, requests are answered immediately (tests driving one connection).
   */
  readonly schedule?: (conn: Connection) => void;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly servesEds: boolean;
  /**
   * Colocated: whether this pilot may serve a proxy with this node id. The first proxy pins it; the
   * same id may reconnect (a hot upgrade runs two proxies of one pod side by side).
   */
  readonly admit?: (proxyId: string) => boolean;
  /** Most responses written but not yet flushed before the client counts as stuck. */
  readonly sendQueueLimit: number;
  /** Longest a push may wait for its writes to flush before the client is disconnected. */
  readonly writeTimeoutMs: number;
  readonly now: () => number;
}

export type Variant = 'sotw' | 'delta';

const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_DEADLINE_EXCEEDED = 4;

let counter = 0;

export class Connection {
  readonly id: string;
  readonly connectedAt = new Date();
  proxy: ProxyInfo | undefined;
  private readonly stream: SotwServerConnection | DeltaServerConnection;
  private ctx: PushContext;
  private pendingWrites = 0;
  private drainWaiters: (() => void)[] = [];
  private closed = false;
  /** Per type: when the last response was written, for /debug/adsz. */
  private readonly sentAt = new Map<string, Date>();
  private pushes = 0;
  private warnedEds = false;
  /**
   * SotW EDS, what the client holds: the last whole snapshot sent (shared with every proxy of the
   * same class, so it costs this connection nothing) plus the assignments pushed alone since.
   */
  private edsBase: ResourceSnapshot | undefined;
  private readonly edsOverlay = new Map<string, string>();
  /** Types whose request is owed an answer, answered on this connection's next turn in the queue. */
  private readonly owed = new Set<TypeUrl>();

  constructor(
    readonly variant: Variant,
    private readonly transport: Transport,
    ctx: PushContext,
    private readonly deps: ConnectionDeps,
  ) {
    this.stream = variant === 'sotw' ? new SotwServerConnection() : new DeltaServerConnection();
    this.ctx = ctx;
    this.id = `conn-${++counter}`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get contextVersion(): string {
    return this.ctx.version;
  }

  /** Handles one request: classify, account ACK/NACK, answer when owed. */
  onRequest(request: DiscoveryRequest | DeltaDiscoveryRequest): void {
    if (this.closed) return;
    if (!this.proxy) {
      this.proxy = proxyFromNode(request.node);
      if (this.deps.admit && !this.deps.admit(this.proxy.id)) {
        const err = new PilotError(
          'PILOT_ERR_PROTOCOL',
          `this colocated pilot serves one proxy; ${this.proxy.id} is not it`,
        );
        this.deps.log.warn('refusing proxy', { conn: this.id, proxy: this.proxy.id, reason: err.message });
        this.close(9, err.message);
        return;
      }
      this.deps.log.info('proxy connected', {
        conn: this.id,
        proxy: this.proxy.id,
        type: this.proxy.type,
        variant: this.variant,
        peer: this.transport.peer,
      });
    }
    const result: RequestResult =
      this.stream instanceof SotwServerConnection
        ? this.stream.receive(request as DiscoveryRequest)
        : this.stream.receive(request as DeltaDiscoveryRequest);
    const type = shortType(result.typeUrl);
    if (result.kind === 'invalid') {
      this.deps.log.warn('invalid xDS request', { conn: this.id, type, error: result.error.message });
      this.close(3, new PilotError('PILOT_ERR_PROTOCOL', result.error.message).message);
      return;
    }
    if (result.kind === 'nack') {
      this.deps.metrics.inc('pilot_total_xds_rejects', { type });
      this.deps.log.warn('proxy rejected config (NACK)', {
        conn: this.id,
        proxy: this.proxy.id,
        type,
        version: result.versionInfo,
        nonce: result.answers?.nonce,
        reason: result.errorDetail?.message ?? '',
      });
    } else if (result.kind === 'stale') {
      this.deps.metrics.inc('pilot_xds_expired_nonce', { type });
    }
    if (!result.mustRespond || !isServedType(result.typeUrl)) return;
    if (!this.deps.schedule) {
      this.respond(result.typeUrl, this.snapshot(result.typeUrl));
      return;
    }
    // Answered on this connection's turn, so that a thousand proxies connecting at once are answered
    // within the send budget instead of all buffering 10 MB responses at the same moment.
    this.owed.add(result.typeUrl);
    this.deps.schedule(this);
  }

  /**
   * Pushes a new context: every requested type in make-before-break order (CDS, EDS, LDS, RDS), or for
   * an endpoint-only request just the affected ClusterLoadAssignments. Resolves once the writes are
   * flushed; a client that does not drain within the write timeout is disconnected.
   */
  push(ctx: PushContext, req: PushRequest): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.ctx = ctx;
    this.pushes++;
    let sent = 0;
    for (const type of PUSH_ORDER) {
      const state = this.stream.state(type);
      if (!state) continue;
      if (this.owed.delete(type)) {
        // An owed answer is the whole current state: it covers this push for the type too.
        this.respond(type, this.snapshot(type));
        if (this.closed) return Promise.resolve();
        continue;
      }
      if (!this.deps.generators.needsPush(type, req)) continue;
      if (type === EDS && !req.full) {
        if (this.pushEndpoints(state.subscribedNamesUnsorted(), req)) sent++;
      } else if (type === EDS && this.variant === 'sotw' && this.edsBase && !state.status().pending) {
        if (this.pushChangedEndpoints(state.subscribedNamesUnsorted())) sent++;
      } else if (this.respond(type, this.snapshot(type))) {
        sent++;
      }
      if (this.closed) return Promise.resolve();
    }
    // Answering a request is not a config change reaching the proxy: only pushes count.
    if (sent > 0 && req.reasons.size > 0)
      this.deps.metrics.observe('pilot_proxy_convergence_time', (this.deps.now() - req.start) / 1000);
    return this.drained();
  }

  /**
   * An endpoint-only push: just the affected assignments. SotW may send a subset (EDS is not a
   * full-state type): those whose content changed since we last sent them. Delta compares just the
   * affected names with what the client holds. Either way O(affected), not O(subscribed).
   */
  private pushEndpoints(subscribed: ReadonlySet<string>, req: PushRequest): boolean {
    const affected = this.deps.generators.affectedClusters(subscribed, req.edsHosts);
    if (affected.length === 0) return false;
    const current = this.snapshot(EDS);
    if (this.variant === 'delta') return this.respond(EDS, current, { changed: affected });
    const partial = this.unsentAssignments(current, affected);
    return partial.size > 0 && this.respond(EDS, partial, { partial: true });
  }

  /**
   * SotW EDS on a full push, once the client holds a whole snapshot: only the assignments whose
   * content differs from what it holds. Comparing against the last response's version instead would
   * resend every assignment after any endpoint-only push (10 MB per sidecar at 10,000 clusters).
   */
  private pushChangedEndpoints(subscribed: ReadonlySet<string>): boolean {
    const current = this.snapshot(EDS);
    const partial = this.unsentAssignments(current, subscribed);
    if (partial.size === 0) return false;
    if (partial.size === subscribed.size) return this.respond(EDS, current);
    return this.respond(EDS, partial, { partial: true });
  }

  /** SotW EDS: of `names`, the current assignments whose content the client does not hold yet. */
  private unsentAssignments(
    current: ResourceSnapshot,
    names: Iterable<string>,
  ): Map<string, VersionedResource> {
    const out = new Map<string, VersionedResource>();
    for (const name of names) {
      const r = current.get(name);
      const held = this.edsOverlay.get(name) ?? this.edsBase?.get(name)?.version;
      if (r && held !== r.version) out.set(name, r);
    }
    return out;
  }

  /** What this proxy subscribes to, per served type (for /debug/config_dump). */
  subscriptions(): { type: TypeUrl; wildcard: boolean; names: readonly string[] }[] {
    return PUSH_ORDER.filter((t) => this.stream.state(t)).map((t) => ({
      type: t,
      wildcard: this.stream.state(t)!.wildcard,
      names: this.stream.state(t)!.subscribedNames(),
    }));
  }

  /** Per type sync state for /debug/syncz. */
  syncStatus(): TypeSyncStatus[] {
    return this.stream.status();
  }

  describe(): Record<string, unknown> {
    return {
      connectionId: this.id,
      proxyId: this.proxy?.id ?? '',
      proxyType: this.proxy?.type ?? '',
      variant: this.variant,
      peer: this.transport.peer,
      ...(this.transport.identity ? { identity: this.transport.identity } : {}),
      connectedAt: this.connectedAt.toISOString(),
      contextVersion: this.ctx.version,
      pushes: this.pushes,
      pendingWrites: this.pendingWrites,
      watched: Object.fromEntries(
        this.stream.typeUrls().map((t) => [
          shortType(t),
          {
            names: this.stream.state(t)?.subscribedNames().length ?? 0,
            wildcard: this.stream.state(t)?.wildcard ?? false,
            lastSent: this.sentAt.get(t)?.toISOString(),
          },
        ]),
      ),
    };
  }

  close(code: number, message: string): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.close(code, message);
    this.settleDrain();
  }

  /** The stream ended (client went away): stop work, release waiters. */
  ended(): void {
    this.closed = true;
    this.settleDrain();
  }

  private snapshot(type: TypeUrl): ResourceSnapshot {
    const state = this.stream.state(type)!;
    if (type === EDS && !this.deps.servesEds) {
      // scale-out: proxies read endpoints from the registry; an EDS subscription gets an empty answer.
      if (!this.warnedEds) {
        this.warnedEds = true;
        this.deps.log.warn('EDS requested but not served', {
          conn: this.id,
          proxy: this.proxy?.id,
          code: 'PILOT_ERR_TYPE_NOT_SERVED',
        });
      }
      return new Map();
    }
    return this.deps.generators.generate(this.ctx, this.proxy!, type, {
      wildcard: state.wildcard,
      // EDS is looked up by name from a shared view; the other types are built from the list.
      names: type === EDS ? [] : [...state.subscribedNamesUnsorted()],
    });
  }

  /**
   * `partial`: SotW EDS carrying only some subscribed assignments (an endpoint-only push).
   * `changed`: Delta, only these names may differ from what the client holds.
   */
  private respond(
    type: TypeUrl,
    snapshot: ResourceSnapshot,
    how: { partial?: boolean; changed?: readonly string[] } = {},
  ): boolean {
    const started = this.deps.now();
    let bytes: EncodedResponse;
    if (this.stream instanceof SotwServerConnection) {
      const resp = this.stream.respond(type, snapshot);
      if (!resp) return false;
      if (type === EDS) this.recordEdsSent(snapshot, resp.selected, how.partial === true);
      bytes = this.deps.encoder.sotw(resp);
    } else {
      const resp = how.changed
        ? this.stream.state(type)?.respondChanged(snapshot, how.changed)
        : this.stream.respond(type, snapshot);
      if (!resp) return false;
      bytes = this.deps.encoder.delta(resp);
    }
    const t = shortType(type);
    this.deps.metrics.inc('pilot_xds_pushes', { type: t });
    this.deps.metrics.observe('pilot_xds_config_size_bytes', bytes.byteLength, { type: t });
    this.deps.metrics.observe('pilot_xds_push_time', (this.deps.now() - started) / 1000, { type: t });
    this.sentAt.set(type, new Date());
    this.write(bytes);
    return true;
  }

  /** SotW EDS bookkeeping: a whole-state answer replaces what the client holds, a partial one adds. */
  private recordEdsSent(
    snapshot: ResourceSnapshot,
    selected: readonly VersionedResource[],
    partial: boolean,
  ): void {
    if (!partial) {
      this.edsBase = snapshot;
      this.edsOverlay.clear();
      return;
    }
    for (const r of selected) this.edsOverlay.set(r.name, r.version);
    const state = this.stream.state(EDS);
    for (const name of this.edsOverlay.keys()) if (!state?.isSubscribed(name)) this.edsOverlay.delete(name);
  }

  private write(bytes: EncodedResponse): void {
    if (this.pendingWrites >= this.deps.sendQueueLimit) {
      this.deps.metrics.inc('pilot_xds_write_timeout');
      const err = new PilotError(
        'PILOT_ERR_SLOW_CLIENT',
        `${this.pendingWrites} responses unflushed (limit ${this.deps.sendQueueLimit})`,
      );
      this.deps.log.warn('disconnecting slow client', {
        conn: this.id,
        proxy: this.proxy?.id,
        reason: err.message,
      });
      this.close(GRPC_RESOURCE_EXHAUSTED, err.message);
      return;
    }
    this.pendingWrites++;
    const budget = this.deps.sendBudget;
    budget.pendingBytes += bytes.byteLength;
    this.deps.metrics.inc('pilot_xds_send_queue_depth', undefined, 1);
    this.deps.metrics.set('pilot_xds_send_buffer_bytes', budget.pendingBytes);
    this.transport.write(bytes, () => {
      this.pendingWrites--;
      budget.pendingBytes -= bytes.byteLength;
      this.deps.metrics.inc('pilot_xds_send_queue_depth', undefined, -1);
      this.deps.metrics.set('pilot_xds_send_buffer_bytes', budget.pendingBytes);
      if (this.pendingWrites === 0) this.settleDrain();
    });
  }

  private drained(): Promise<void> {
    if (this.pendingWrites === 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (this.pendingWrites > 0 && !this.closed) {
          this.deps.metrics.inc('pilot_xds_write_timeout');
          const err = new PilotError(
            'PILOT_ERR_SLOW_CLIENT',
            `writes not flushed within ${this.deps.writeTimeoutMs} ms`,
          );
          this.deps.log.warn('disconnecting stuck client', {
            conn: this.id,
            proxy: this.proxy?.id,
            reason: err.message,
          });
          this.close(GRPC_DEADLINE_EXCEEDED, err.message);
        }
        resolve();
      }, this.deps.writeTimeoutMs);
      timer.unref();
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private settleDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
