// `embedded://host:port`: a Registry over the strait-registry server's gRPC API.
//
// The client keeps what it registered and the leases behind it, so when a lease is found missing (the
// server expired it during a partition, or lost it) it grants a new one and re-registers: liveness
// heals itself, as Dubbo's registry clients do. All watches share one stream; per service the client
// keeps the current state and revision, so a reconnect resumes from that revision (no resync when the
// server's history still covers the gap) and every watcher's resync snapshot comes from local state.
import * as grpc from '@grpc/grpc-js';
import { RegistryError, type RegistryErrorCode, RegistryErrorCodes } from '../../errors.js';
import { byId, normalizeInstance } from '../../instance.js';
import { Metrics } from '../../metrics.js';
import {
  ERROR_CODE_KEY,
  fromWire,
  registryService,
  toWire,
  type WireInstance,
  type WireWatchRequest,
  type WireWatchResponse,
} from '../../server/proto.js';
import type {
  Instance,
  InstanceSpec,
  Liveness,
  RegisterOptions,
  Registration,
  Registry,
  ResyncReason,
  Watch,
  WatchOptions,
} from '../../types.js';
import { WatchChannel } from '../../watch/channel.js';
import { LeaseSource } from '../leases.js';

export interface RemoteRegistryOptions {
  /** TTL of the lease standing in for this client's session. Default 10 s. */
  readonly sessionTtlMs?: number;
  /** TTL when register() is given no liveness. Default 10 s. */
  readonly defaultTtlMs?: number;
  /** Deadline of each unary call (they wait for the connection up to it). Default 5 s. */
  readonly callTimeoutMs?: number;
  /** Longest wait between watch-stream reconnect attempts. Default 2 s. */
  readonly maxReconnectDelayMs?: number;
  /**
   * Extra gRPC channel arguments. For example `{ 'grpc.use_local_subchannel_pool': 1 }` gives this
   * client its own connection instead of sharing one with other clients of the same target in-process.
   */
  readonly channelOptions?: grpc.ChannelOptions;
}

interface HeldLease {
  readonly ttlMs: number;
  readonly session: boolean;
  /** Registrations riding on this lease, by `service/id`. */
  readonly keys: Map<string, Instance>;
  timer: NodeJS.Timeout;
}

interface Subscription {
  revision: number;
  ready: boolean;
  readonly state: Map<string, Instance>;
  readonly channels: Set<WatchChannel>;
  /** Channels created before the first snapshot arrived: they get it lazily once it does. */
  readonly waiting: Set<WatchChannel>;
}

type Unary = (
  req: object,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: grpc.requestCallback<unknown>,
) => void;

export class RemoteRegistry implements Registry {
  readonly kind = 'embedded';
  readonly metrics = new Metrics();
  private readonly client: grpc.Client;
  private readonly defaultTtlMs: number;
  private readonly callTimeoutMs: number;
  private readonly maxReconnectDelayMs: number;
  private readonly leases = new Map<number, HeldLease>();
  private readonly leaseSource: LeaseSource<number>;
  private readonly subs = new Map<string, Subscription>();
  private stream: grpc.ClientDuplexStream<WireWatchRequest, WireWatchResponse> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = 0;
  private paused = false;
  private closed = false;

  constructor(
    readonly target: string,
    options: RemoteRegistryOptions = {},
  ) {
    const Client = registryService().client;
    this.client = new Client(target, grpc.credentials.createInsecure(), {
      // Detect dead servers, but leave a busy peer (a proxy decoding a large snapshot) time to answer:
      // a short ping timeout turns an overloaded event loop into a reconnect-and-resync storm.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // Reconnect quickly after a server restart; the default backoff grows to two minutes.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
      ...options.channelOptions,
    });
    this.leaseSource = new LeaseSource(options.sessionTtlMs ?? 10_000, (ttlMs, session) =>
      this.grant(ttlMs, session),
    );
    this.defaultTtlMs = options.defaultTtlMs ?? 10_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 5_000;
    this.maxReconnectDelayMs = options.maxReconnectDelayMs ?? 2_000;
  }

  // ---- writes ----

  async register(spec: InstanceSpec, options?: RegisterOptions): Promise<Registration> {
    this.assertOpen();
    const instance = normalizeInstance(spec);
    const liveness: Liveness = options?.liveness ?? { kind: 'ttl', ttlMs: this.defaultTtlMs };
    const lease = await this.leaseSource.forLiveness(liveness);
    const k = `${instance.service}/${instance.id}`;
    const res = await this.call<{ revision: number }>('Register', { instance: toWire(instance), lease });
    // A re-register moves the key: drop it from whichever lease held it before.
    for (const [id, l] of this.leases) if (id !== lease && l.keys.delete(k)) await this.releaseIfEmpty(id);
    this.leases.get(lease)?.keys.set(k, instance);
    let done = false;
    return {
      instance,
      revision: res.revision,
      deregister: async () => {
        if (done) return;
        done = true;
        const held = this.leases.get(lease);
        if (!held?.keys.has(k)) return; // replaced by a later register() of the same id, or already gone
        await this.deregister(instance.service, instance.id);
      },
    };
  }

  async deregister(service: string, id: string): Promise<void> {
    this.assertOpen();
    await this.call('Deregister', { service, id });
    const k = `${service}/${id}`;
    for (const [lease, l] of this.leases) if (l.keys.delete(k)) await this.releaseIfEmpty(lease);
  }

  // ---- reads ----

  async list(service: string): Promise<readonly Instance[]> {
    this.assertOpen();
    const res = await this.call<{ instances: WireInstance[] }>('List', { service });
    return res.instances.map(fromWire).sort(byId);
  }

  async services(): Promise<readonly string[]> {
    this.assertOpen();
    const res = await this.call<{ services: string[] }>('Services', {});
    return res.services;
  }

  watch(service: string, options?: WatchOptions): Watch {
    this.assertOpen();
    let sub = this.subs.get(service);
    const fresh = !sub;
    if (!sub) {
      sub = { revision: 0, ready: false, state: new Map(), channels: new Set(), waiting: new Set() };
      this.subs.set(service, sub);
    }
    const s = sub;
    const ch = new WatchChannel(
      service,
      options,
      this.metrics,
      () => ({ revision: s.revision, instances: [...s.state.values()].sort(byId) }),
      (c) => {
        s.channels.delete(c);
        s.waiting.delete(c);
        if (s.channels.size === 0 && this.subs.get(service) === s) {
          this.subs.delete(service);
          this.stream?.write({ unsubscribe: { service } });
        }
      },
    );
    s.channels.add(ch);
    if (s.ready) ch.pushInitial();
    else s.waiting.add(ch);
    if (fresh) {
      if (this.stream) this.stream.write({ subscribe: { service, resumeRevision: 0 } });
      else this.openStream();
    }
    return ch;
  }

  // ---- lifecycle ----

  async close(): Promise<void> {
    if (this.closed) return;
    const leases = [...this.leases.keys()];
    this.shutdown();
    // Orderly goodbye: revoke leases so our instances vanish now rather than after their TTL.
    await Promise.all(
      leases.map((lease) => this.call('RevokeLease', { lease }, true).catch(() => undefined)),
    );
    this.client.close();
  }

  /** Test seam: dies without revoking anything (as a kill -9 would); instances lapse with their TTL. */
  abandon(): void {
    if (this.closed) return;
    this.shutdown();
    this.client.close();
  }

  /** Test seam: drops the watch stream and holds off reconnecting until resumeWatch(). */
  pauseWatch(): void {
    this.paused = true;
    this.stream?.cancel();
    this.stream = undefined;
  }

  resumeWatch(): void {
    this.paused = false;
    if (!this.stream && this.subs.size > 0) this.openStream();
  }

  private shutdown(): void {
    this.closed = true;
    for (const l of this.leases.values()) clearInterval(l.timer);
    this.leases.clear();
    clearTimeout(this.reconnectTimer);
    this.stream?.cancel();
    this.stream = undefined;
    for (const sub of this.subs.values()) for (const ch of [...sub.channels]) ch.end();
    this.subs.clear();
  }

  // ---- leases ----

  private async grant(ttlMs: number, session: boolean): Promise<number> {
    const res = await this.call<{ lease: number }>('GrantLease', { ttlMs });
    const lease = res.lease;
    // Renew at a third of the TTL so one lost heartbeat does not cost the registration.
    const timer = setInterval(() => void this.heartbeat(lease), Math.max(50, Math.floor(ttlMs / 3)));
    timer.unref();
    this.leases.set(lease, { ttlMs, session, keys: new Map(), timer });
    return lease;
  }

  private async heartbeat(lease: number): Promise<void> {
    let missing: number[];
    try {
      missing = (await this.call<{ missing: number[] }>('KeepAlive', { leases: [lease] })).missing;
    } catch {
      return; // server unreachable: keep trying; the lease may yet survive (it gets a fresh TTL on restart)
    }
    if (missing.includes(lease) && !this.closed) await this.heal(lease);
  }

  /** The server no longer has `lease`: grant a new one and put every instance that rode on it back. */
  private async heal(lease: number): Promise<void> {
    const old = this.leases.get(lease);
    if (!old) return;
    clearInterval(old.timer);
    this.leases.delete(lease);
    if (old.session) this.leaseSource.forgetSession();
    try {
      await this.leaseSource.replace(old, async (fresh, k, instance: Instance) => {
        await this.call('Register', { instance: toWire(instance), lease: fresh });
        this.leases.get(fresh)?.keys.set(k, instance);
      });
    } catch {
      // Put the old record back so the next heartbeat retries the heal.
      if (!this.closed) {
        old.timer = setInterval(() => void this.heartbeat(lease), Math.max(50, Math.floor(old.ttlMs / 3)));
        old.timer.unref();
        this.leases.set(lease, old);
      }
    }
  }

  private async releaseIfEmpty(lease: number): Promise<void> {
    const l = this.leases.get(lease);
    if (!l || l.session || l.keys.size > 0) return;
    clearInterval(l.timer);
    this.leases.delete(lease);
    await this.call('RevokeLease', { lease }).catch(() => undefined);
  }

  // ---- watch stream ----

  private openStream(): void {
    if (this.closed || this.paused || this.stream) return;
    const call = this.client.makeBidiStreamRequest(
      '/strait.registry.v1.Registry/Watch',
      (req: WireWatchRequest) => watchRequestSerialize(req),
      (buf: Buffer) => watchResponseDeserialize(buf),
    ) as grpc.ClientDuplexStream<WireWatchRequest, WireWatchResponse>;
    this.stream = call;
    call.on('data', (msg: WireWatchResponse) => {
      this.reconnectDelay = 0;
      this.onWatchResponse(msg);
    });
    const lost = (): void => {
      if (this.stream !== call) return;
      this.stream = undefined;
      if (this.closed || this.paused) return;
      this.metrics.inc('reconnects');
      this.reconnectDelay = Math.min(this.maxReconnectDelayMs, Math.max(100, this.reconnectDelay * 2));
      this.reconnectTimer = setTimeout(() => this.openStream(), this.reconnectDelay);
      this.reconnectTimer.unref();
    };
    call.on('error', lost);
    call.on('end', lost);
    for (const [service, sub] of this.subs) {
      call.write({ subscribe: { service, resumeRevision: sub.ready ? sub.revision : 0 } });
    }
  }

  private onWatchResponse(msg: WireWatchResponse): void {
    const sub = this.subs.get(msg.service);
    if (!sub) return; // unsubscribed meanwhile
    if (msg.type === 'DELTA') {
      if (!sub.ready) return; // cannot happen for resume 0; ignore defensively
      const added = msg.added.map(fromWire);
      const updated = msg.updated.map(fromWire);
      for (const i of added) sub.state.set(i.id, i);
      for (const i of updated) sub.state.set(i.id, i);
      for (const id of msg.removed) sub.state.delete(id);
      if (msg.revision <= sub.revision && added.length + updated.length + msg.removed.length === 0) return;
      sub.revision = Math.max(sub.revision, msg.revision);
      for (const ch of sub.channels) {
        if (!sub.waiting.has(ch))
          ch.pushDelta({ revision: msg.revision, added, updated, removed: msg.removed });
      }
      return;
    }
    // SNAPSHOT or RESYNC: replace the state.
    sub.state.clear();
    for (const w of msg.instances) {
      const i = fromWire(w);
      sub.state.set(i.id, i);
    }
    sub.revision = msg.revision;
    const wasReady = sub.ready;
    sub.ready = true;
    for (const ch of sub.channels) {
      if (sub.waiting.has(ch)) ch.pushInitial();
      else if (wasReady) ch.pushResync(resyncReason(msg.reason));
    }
    sub.waiting.clear();
  }

  // ---- calls ----

  private call<T>(method: string, req: object, evenIfClosed = false): Promise<T> {
    if (this.closed && !evenIfClosed)
      return Promise.reject(new RegistryError('REG_ERR_CLOSED', 'registry closed'));
    const def = registryService().service[method];
    if (!def) return Promise.reject(new RegistryError('REG_ERR_PROTOCOL', `unknown method ${method}`));
    return new Promise<T>((resolve, reject) => {
      const fn: Unary = (r, md, opts, cb) =>
        this.client.makeUnaryRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          r,
          md,
          opts,
          cb,
        );
      fn(
        req,
        // waitForReady: during a server restart calls wait for the connection instead of failing fast.
        new grpc.Metadata({ waitForReady: true }),
        { deadline: Date.now() + this.callTimeoutMs },
        (err: grpc.ServiceError | null, value?: unknown) => {
          if (err) reject(toRegistryError(err, this.target));
          else resolve(value as T);
        },
      );
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new RegistryError('REG_ERR_CLOSED', 'registry closed');
  }
}

function resyncReason(reason: string): ResyncReason {
  return reason === 'compacted' || reason === 'overflow' || reason === 'session-lost' ? reason : 'reconnect';
}

function watchRequestSerialize(req: WireWatchRequest): Buffer {
  const def = registryService().service['Watch'];
  if (!def) throw new RegistryError('REG_ERR_PROTOCOL', 'Watch method missing from the proto');
  return def.requestSerialize(req);
}

function watchResponseDeserialize(buf: Buffer): WireWatchResponse {
  const def = registryService().service['Watch'];
  if (!def) throw new RegistryError('REG_ERR_PROTOCOL', 'Watch method missing from the proto');
  return def.responseDeserialize(buf) as WireWatchResponse;
}

function toRegistryError(err: grpc.ServiceError, target: string): RegistryError {
  const coded = err.metadata?.get(ERROR_CODE_KEY)[0];
  if (typeof coded === 'string' && coded in RegistryErrorCodes) {
    const code = coded as RegistryErrorCode;
    // The server's message already starts with the code's default text; keep only its detail.
    const prefix = `${RegistryErrorCodes[code]}: `;
    const detail = err.details.startsWith(prefix) ? err.details.slice(prefix.length) : err.details;
    return new RegistryError(code, detail, { cause: err });
  }
  if (err.code === grpc.status.DEADLINE_EXCEEDED)
    return new RegistryError('REG_ERR_TIMEOUT', target, { cause: err });
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.CANCELLED) {
    return new RegistryError('REG_ERR_UNAVAILABLE', `${target}: ${err.details}`, { cause: err });
  }
  return new RegistryError('REG_ERR_PROTOCOL', `${target}: ${err.details}`, { cause: err });
}
