// The ADS client: one stream to the management server carrying CDS, EDS, LDS and RDS, in Envoy's
// order. Per type the protocol state is @strait/xds/stream's SotwClientState or DeltaClientState; this
// class owns the stream's lifetime (open, reconnect with backoff, resubscribe) and routes each response
// to the handler of its type, writing the ACK or NACK the state returns. It never looks inside a
// resource: handlers decode, validate and apply.

import type { envoy } from '@strait/xds';
import { TypeUrl } from '@strait/xds';
import {
  type ApplyUpdate,
  DeltaClientState,
  type ResourceError,
  type ResponseResult,
  SotwClientState,
  type SubscribeResult,
} from '@strait/xds/stream';
import type { Scope, StatsStore } from '../stats/store.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { CONTROL_PLANE_STATS, XDS_TYPE_STATS } from './stats.js';
import type {
  AdsStream,
  AdsTransport,
  DeltaRequest,
  DeltaResponse,
  SotwRequest,
  SotwResponse,
  Variant,
} from './transport.js';

export type NodeProto = envoy.config.core.v3.Node.$Properties;

/** Envoy's subscription order: clusters before endpoints, listeners before routes. */
export const TYPE_ORDER = [
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Listener,
  TypeUrl.RouteConfiguration,
] as const;
export type XdsTypeUrl = (typeof TYPE_ORDER)[number];

/** Envoy's stat prefixes per type. */
const STAT_PREFIX: Record<XdsTypeUrl, string> = {
  [TypeUrl.Cluster]: 'cluster_manager.cds.',
  [TypeUrl.ClusterLoadAssignment]: 'cluster_manager.eds.',
  [TypeUrl.Listener]: 'listener_manager.lds.',
  [TypeUrl.RouteConfiguration]: 'rds.',
};

export interface TypeHandler {
  /** Validates and applies; returns the rejected resources (their last good version stays). */
  apply: ApplyUpdate;
  /** Subscribed names the server never sent within the does-not-exist timeout. */
  doesNotExist?(names: readonly string[]): void;
  /** After every response of the type, applied or not (an empty SotW response calls no apply). */
  responded?(): void;
}

/** The part of SotwClientState and DeltaClientState the client uses, over either request type. */
interface TypeState<Req, Res> {
  initialRequest(): Req | undefined;
  disconnect(): void;
  subscribe(names: readonly string[]): SubscribeResult<Req>;
  unsubscribe(names: readonly string[]): SubscribeResult<Req>;
  handleResponse(res: Res, apply: ApplyUpdate): ResponseResult<Req>;
  nextDoesNotExistDeadline(): number | undefined;
  expireDoesNotExist(): string[];
}

export interface AdsClientOptions {
  transport: AdsTransport;
  variant: Variant;
  node: NodeProto;
  handlers: Partial<Record<XdsTypeUrl, TypeHandler>>;
  stats: StatsStore;
  log: (msg: string) => void;
  backoff?: BackoffOptions;
  /** Does-not-exist timeout for named subscriptions (EDS, RDS). Envoy: initial_fetch_timeout. */
  doesNotExistTimeoutMs?: number;
}

export interface AdsStatus {
  variant: Variant;
  connected: boolean;
  streams: number;
  types: Record<string, { subscribed: string[] | '*'; version: string; lastNack?: string }>;
}

type AnyState = TypeState<SotwRequest | DeltaRequest, SotwResponse | DeltaResponse>;

export class AdsClient {
  private readonly states = new Map<XdsTypeUrl, AnyState>();
  /** Types the client asked for: wildcard types are started explicitly, named ones by their names. */
  private readonly started = new Set<XdsTypeUrl>();
  private readonly names = new Map<XdsTypeUrl, Set<string>>();
  private readonly lastNack = new Map<XdsTypeUrl, string>();
  private readonly versions = new Map<XdsTypeUrl, string>();
  private stream: AdsStream<SotwRequest | DeltaRequest> | undefined;
  private nodeSent = false;
  private connected = false;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private dneTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  /** While one response is handled, requests of other types wait so its ACK goes out first (Envoy pauses EDS during CDS). */
  private handling = false;
  private readonly deferred: (SotwRequest | DeltaRequest)[] = [];
  private streamsOpened = 0;
  readonly stats: Scope<typeof CONTROL_PLANE_STATS>;
  private readonly typeStats = new Map<XdsTypeUrl, Scope<typeof XDS_TYPE_STATS>>();
  /**
   * Bounded: requests deferred during one response. SotW keeps one per type (each restates the whole
   * subscription, so the last supersedes the others); Delta keeps every change, chunked.
   */
  static readonly MAX_DEFERRED = 1024;
  /**
   * Names per subscribe call. The stream states check new names against the batch with a linear scan,
   * so one call with 10,000 names costs O(n^2); chunks keep it linear-ish, and the requests they
   * produce while a response is handled collapse (SotW) or queue (Delta) before anything is written.
   */
  static readonly SUBSCRIBE_CHUNK = 256;

  constructor(private readonly opts: AdsClientOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.stats = opts.stats.scope('control_plane.', 'control_plane', CONTROL_PLANE_STATS);
    const dne = opts.doesNotExistTimeoutMs ?? 15_000;
    for (const t of TYPE_ORDER) {
      const state: AnyState =
        opts.variant === 'sotw'
          ? (new SotwClientState({ typeUrl: t, doesNotExistTimeoutMs: dne }) as unknown as AnyState)
          : (new DeltaClientState({ typeUrl: t, doesNotExistTimeoutMs: dne }) as unknown as AnyState);
      this.states.set(t, state);
      this.names.set(t, new Set());
      this.typeStats.set(t, opts.stats.scope(STAT_PREFIX[t], 'xds', XDS_TYPE_STATS));
    }
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Opens the stream (and keeps reopening it until close()). */
  start(): void {
    if (this.closed || this.stream) return;
    this.open();
  }

  /** Starts a wildcard type (CDS, LDS): sends its first request now if the stream is up. */
  startType(typeUrl: XdsTypeUrl): void {
    if (this.started.has(typeUrl)) return;
    this.started.add(typeUrl);
    if (!this.stream) return;
    const req = this.states.get(typeUrl)!.initialRequest();
    if (req) this.write(req);
  }

  /**
   * Sets the named subscription of a type (EDS: cluster service names; RDS: route config names),
   * sending the subscribe/unsubscribe requests the diff needs. Returns names dropped from tracking.
   */
  setNames(typeUrl: XdsTypeUrl, want: ReadonlySet<string>): string[] {
    const have = this.names.get(typeUrl)!;
    const add = [...want].filter((n) => !have.has(n));
    const remove = [...have].filter((n) => !want.has(n));
    const state = this.states.get(typeUrl)!;
    const dropped: string[] = [];
    if (remove.length > 0) {
      const r = state.unsubscribe(remove);
      if (r.ok) {
        for (const n of remove) have.delete(n);
        dropped.push(...r.dropped);
        if (r.request) this.write(r.request);
      } else this.opts.log(`strait-proxy: xds: unsubscribe ${typeUrl}: ${r.error.message}`);
    }
    const wasHandling = this.handling;
    this.handling = true;
    try {
      for (let i = 0; i < add.length; i += AdsClient.SUBSCRIBE_CHUNK) {
        const chunk = add.slice(i, i + AdsClient.SUBSCRIBE_CHUNK);
        this.started.add(typeUrl);
        const r = state.subscribe(chunk);
        if (r.ok) {
          for (const n of chunk) have.add(n);
          if (r.request) this.write(r.request);
        } else {
          this.opts.log(`strait-proxy: xds: subscribe ${typeUrl}: ${r.error.message}`);
          break;
        }
      }
    } finally {
      this.handling = wasHandling;
    }
    if (!wasHandling) this.flushDeferred();
    this.scheduleDoesNotExist();
    return dropped;
  }

  subscribedNames(typeUrl: XdsTypeUrl): ReadonlySet<string> {
    return this.names.get(typeUrl)!;
  }

  status(): AdsStatus {
    const types: AdsStatus['types'] = {};
    for (const t of TYPE_ORDER) {
      const nack = this.lastNack.get(t);
      types[t] = {
        subscribed: t === TypeUrl.Cluster || t === TypeUrl.Listener ? '*' : [...this.names.get(t)!].sort(),
        version: this.versions.get(t) ?? '',
        ...(nack ? { lastNack: nack } : {}),
      };
    }
    return { variant: this.opts.variant, connected: this.connected, streams: this.streamsOpened, types };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.dneTimer);
    const s = this.stream;
    this.stream = undefined;
    s?.cancel();
    this.opts.transport.close();
  }

  private open(): void {
    this.nodeSent = false;
    this.streamsOpened += 1;
    this.stats.stream_opened.inc();
    const onClose = (code: number, details: string) => this.onStreamClosed(code, details);
    this.stream =
      this.opts.variant === 'sotw'
        ? (this.opts.transport.openSotw({
            onResponse: (res: SotwResponse) => this.onResponse(res.typeUrl, res),
            onClose,
          }) as AdsStream<SotwRequest | DeltaRequest>)
        : (this.opts.transport.openDelta({
            onResponse: (res: DeltaResponse) => this.onResponse(res.typeUrl, res),
            onClose,
          }) as AdsStream<SotwRequest | DeltaRequest>);
    // Every subscription again, in Envoy's order; Delta states add initial_resource_versions.
    // Every state learns the stream is up (named types then send subscribe requests as names come);
    // only started types speak now.
    for (const t of TYPE_ORDER) {
      const req = this.states.get(t)!.initialRequest();
      if (req && this.started.has(t)) this.write(req);
    }
    this.scheduleDoesNotExist();
  }

  private onStreamClosed(code: number, details: string): void {
    if (!this.stream) return;
    this.stream = undefined;
    this.connected = false;
    this.stats.connected_state.set(0);
    this.stats.stream_closed.inc();
    for (const s of this.states.values()) s.disconnect();
    clearTimeout(this.dneTimer);
    if (this.closed) return;
    const delay = this.backoff.next();
    this.stats.reconnect_backoff_ms.set(delay);
    this.opts.log(
      `strait-proxy: xds: stream closed (code ${code}: ${details || 'no details'}); reconnecting in ${delay} ms`,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) this.open();
    }, delay);
    this.reconnectTimer.unref();
  }

  private write(req: SotwRequest | DeltaRequest): void {
    if (!this.stream) return;
    if (this.handling && this.deferred.length < AdsClient.MAX_DEFERRED) {
      if (this.opts.variant === 'sotw') {
        const i = this.deferred.findIndex((d) => d.typeUrl === req.typeUrl);
        if (i >= 0) this.deferred.splice(i, 1);
      }
      this.deferred.push(req);
      this.stats.pending_requests.set(this.deferred.length);
      return;
    }
    if (this.handling) this.stats.pending_requests_overflow.inc();
    this.send(req);
  }

  private send(req: SotwRequest | DeltaRequest): void {
    if (!this.stream) return;
    // The node goes on the first request of each stream only (Envoy's set_node_on_first_message_only).
    const out = this.nodeSent ? req : { ...req, node: this.opts.node };
    this.nodeSent = true;
    this.stream.write(out);
  }

  private onResponse(typeUrl: string | null | undefined, res: SotwResponse | DeltaResponse): void {
    const t = typeUrl as XdsTypeUrl;
    const state = this.states.get(t);
    const handler = this.opts.handlers[t];
    if (!state || !handler) {
      this.stats.identifier_mismatch.inc();
      return;
    }
    if (!this.connected) {
      this.connected = true;
      this.stats.connected_state.set(1);
      this.backoff.reset();
      this.stats.reconnect_backoff_ms.set(0);
    }
    const ts = this.typeStats.get(t)!;
    ts.update_attempt.inc();
    this.handling = true;
    let result: ResponseResult<SotwRequest | DeltaRequest>;
    try {
      result = state.handleResponse(res, handler.apply);
    } finally {
      this.handling = false;
    }
    if (result.kind === 'invalid') {
      this.opts.log(`strait-proxy: xds: ${t}: ${result.error.message}`);
      this.flushDeferred();
      return;
    }
    if (result.kind === 'nack') {
      ts.update_rejected.inc();
      const detail = result.request.errorDetail?.message ?? '';
      this.lastNack.set(t, detail);
      this.opts.log(`strait-proxy: xds: NACK ${t}: ${detail}`);
    } else {
      ts.update_success.inc();
      if (!result.update) ts.update_empty.inc();
      this.lastNack.delete(t);
      const version = 'versionInfo' in res ? res.versionInfo : res.systemVersionInfo;
      this.versions.set(t, version ?? '');
      ts.version.set(hashVersion(version ?? ''));
    }
    this.send(result.request);
    this.flushDeferred();
    this.scheduleDoesNotExist();
    handler.responded?.();
  }

  private flushDeferred(): void {
    const reqs = this.deferred.splice(0);
    this.stats.pending_requests.set(0);
    for (const r of reqs) this.send(r);
  }

  /** One timer for every type's does-not-exist deadlines (the states only compute them). */
  private scheduleDoesNotExist(): void {
    clearTimeout(this.dneTimer);
    if (!this.stream) return;
    let next: number | undefined;
    for (const s of this.states.values()) {
      const d = s.nextDoesNotExistDeadline();
      if (d !== undefined && (next === undefined || d < next)) next = d;
    }
    if (next === undefined) return;
    this.dneTimer = setTimeout(
      () => {
        for (const [t, s] of this.states) {
          const names = s.expireDoesNotExist();
          if (names.length > 0) this.opts.handlers[t]?.doesNotExist?.(names);
        }
        this.scheduleDoesNotExist();
      },
      Math.max(0, next - Date.now()),
    );
    this.dneTimer.unref();
  }

  /** Resource count gauges, set by the handlers after applying. */
  setResourceCount(typeUrl: XdsTypeUrl, n: number): void {
    this.typeStats.get(typeUrl)?.resources.set(n);
  }
}

/** Envoy exports the version as a hash gauge (`version`); FNV-1a 32-bit of the version string. */
function hashVersion(v: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < v.length; i++) {
    h ^= v.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export type { ResourceError };
