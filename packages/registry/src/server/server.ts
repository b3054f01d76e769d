// The networked embedded registry: a MemoryStore behind gRPC, persisted by Persistence.
//
// Fan-out: each client holds one Watch stream and subscribes to services on it. A change to a service
// is encoded once (only the changed endpoints) and the same bytes are written to every subscriber. A
// subscriber whose stream is backed up past `maxPendingBytes` stops receiving deltas; once it drains it
// gets one RESYNC per owed service, so a slow client costs bounded server memory.
import * as grpc from '@grpc/grpc-js';
import { isRegistryError, RegistryError } from '../errors.js';
import { Metrics } from '../metrics.js';
import { MemoryStore, type ServiceChange } from '../store/memory-store.js';
import {
  ERROR_CODE_KEY,
  encodeWatchResponse,
  fromWire,
  registryService,
  toWire,
  type WireInstance,
  type WireWatchRequest,
} from './proto.js';
import { Persistence } from './wal.js';

export interface RegistryServerOptions {
  /** Where the snapshot and write-ahead log live; omit for a memory-only server (tests, demos). */
  readonly dataDir?: string;
  /** Per-key history kept for resume-after-reconnect. Default 100,000. */
  readonly historyLimit?: number;
  /** Bytes buffered for one watch stream before it is switched to resync mode. Default 8 MiB. */
  readonly maxPendingBytes?: number;
  /** Log records between snapshots. Default 10,000. */
  readonly snapshotEvery?: number;
  /** Most services one watch stream may subscribe to (bounds per-connection state). Default 100,000. */
  readonly maxSubscriptionsPerStream?: number;
  /**
   * `delta` (default) pushes only changed endpoints. `full` pushes the whole service state on every
   * change: the naive design, kept as the benchmark's baseline.
   */
  readonly pushMode?: 'delta' | 'full';
}

type WatchStream = grpc.ServerDuplexStream<WireWatchRequest, Buffer>;

/** Server-side state of one client's Watch stream. */
class Subscriber {
  readonly services = new Set<string>();
  /** Services owed a RESYNC because deltas were dropped while the stream was backed up. */
  readonly owed = new Set<string>();
  blocked = false;

  constructor(readonly stream: WatchStream) {}
}

export class RegistryServer {
  readonly store: MemoryStore;
  readonly metrics = new Metrics();
  private readonly server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
    'grpc.keepalive_permit_without_calls': 1,
  });
  private readonly persistence: Persistence | undefined;
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private readonly streams = new Set<Subscriber>();
  private readonly maxPendingBytes: number;
  private readonly maxSubs: number;
  /** Mutable so the benchmark can measure both modes over the same connected watchers. */
  pushMode: 'delta' | 'full';
  private readonly fullCache = new Map<string, Buffer>();
  private fullCacheRevision = -1;
  /** Bytes pushed to watch streams (the benchmark reads this). */
  bytesPushed = 0;

  constructor(options: RegistryServerOptions = {}) {
    this.store = new MemoryStore({
      metrics: this.metrics,
      ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
    });
    this.maxPendingBytes = options.maxPendingBytes ?? 8 * 1024 * 1024;
    this.maxSubs = options.maxSubscriptionsPerStream ?? 100_000;
    this.pushMode = options.pushMode ?? 'delta';
    if (options.dataDir) {
      this.persistence = new Persistence(
        options.dataDir,
        options.snapshotEvery !== undefined ? { snapshotEvery: options.snapshotEvery } : {},
      );
      this.persistence.open(this.store);
    }
    // Registered after persistence: listeners run in order, so a change is durable before it is pushed.
    this.store.onChange((changes) => {
      for (const c of changes) this.fanOut(c);
    });
    this.server.addService(registryService().service, this.handlers());
  }

  /** Binds `host:port` (port 0 picks one) and returns the bound port. */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) reject(new RegistryError('REG_ERR_UNAVAILABLE', `cannot bind ${address}: ${err.message}`));
        else resolve(port);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.stream.end();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
    this.store.close();
    this.persistence?.close();
  }

  private handlers(): grpc.UntypedServiceImplementation {
    const store = this.store;
    return {
      GrantLease: unary<{ ttlMs: number }>((req) => ({ lease: store.grantLease(req.ttlMs) })),
      KeepAlive: unary<{ leases: number[] }>((req) => ({
        missing: req.leases.filter((l) => !store.keepAlive(l)),
      })),
      RevokeLease: unary<{ lease: number }>((req) => ({ revision: store.revokeLease(req.lease) })),
      Register: unary<{ instance: WireInstance | null; lease: number }>((req) => {
        if (!req.instance) throw new RegistryError('REG_ERR_INVALID_INSTANCE', 'instance missing');
        return { revision: store.put(fromWire(req.instance), req.lease) };
      }),
      Deregister: unary<{ service: string; id: string }>((req) => ({
        revision: store.delete(req.service, req.id),
      })),
      List: unary<{ service: string }>((req) => ({
        revision: store.revision,
        instances: store.list(req.service).map(toWire),
      })),
      Services: unary<Record<string, never>>(() => ({ services: store.serviceNames() })),
      Watch: (stream: WatchStream) => this.onWatch(stream),
    };
  }

  private onWatch(stream: WatchStream): void {
    const sub = new Subscriber(stream);
    this.streams.add(sub);
    this.metrics.inc('watchers_active');
    stream.on('drain', () => {
      sub.blocked = false;
      for (const service of [...sub.owed]) {
        sub.owed.delete(service);
        if (sub.services.has(service)) this.sendFull(sub, service, 'RESYNC', 'overflow');
        if (sub.blocked) break; // blocked again: the rest stay owed until the next drain
      }
    });
    stream.on('data', (req: WireWatchRequest) => {
      if (req.subscribe) this.subscribe(sub, req.subscribe.service, req.subscribe.resumeRevision);
      else if (req.unsubscribe) this.unsubscribe(sub, req.unsubscribe.service);
    });
    const done = (): void => {
      if (!this.streams.delete(sub)) return;
      this.metrics.dec('watchers_active');
      for (const service of sub.services) this.unsubscribe(sub, service);
    };
    stream.on('end', () => {
      done();
      stream.end();
    });
    stream.on('error', done);
    stream.on('close', done);
    stream.on('cancelled', done);
  }

  private subscribe(sub: Subscriber, service: string, resume: number): void {
    if (!sub.services.has(service) && sub.services.size >= this.maxSubs) {
      sub.stream.destroy(new Error(`more than ${this.maxSubs} subscriptions on one stream`));
      return;
    }
    sub.services.add(service);
    let set = this.subscribers.get(service);
    if (!set) {
      set = new Set();
      this.subscribers.set(service, set);
    }
    set.add(sub);
    if (resume === 0) {
      this.sendFull(sub, service, 'SNAPSHOT', '');
      return;
    }
    const since = this.store.changesSince(service, resume);
    if (since === 'compacted') {
      this.sendFull(sub, service, 'RESYNC', 'compacted');
      return;
    }
    // Continuity holds: send the net change (possibly empty, which still tells the client the revision).
    this.write(sub, encodeWatchResponse(deltaMessage(since)));
  }

  private unsubscribe(sub: Subscriber, service: string): void {
    sub.services.delete(service);
    sub.owed.delete(service);
    const set = this.subscribers.get(service);
    set?.delete(sub);
    if (set?.size === 0) this.subscribers.delete(service);
  }

  private fanOut(change: ServiceChange): void {
    const set = this.subscribers.get(change.service);
    if (!set || set.size === 0) return;
    // Encoded once, the same bytes written to every subscriber.
    const bytes = encodeWatchResponse(
      this.pushMode === 'delta'
        ? deltaMessage(change)
        : {
            type: 'RESYNC',
            service: change.service,
            revision: change.revision,
            instances: this.store.list(change.service).map(toWire),
            reason: 'reconnect',
          },
    );
    for (const sub of set) {
      if (sub.blocked) {
        if (!sub.owed.has(change.service)) this.metrics.inc('watch_overflow_resyncs');
        sub.owed.add(change.service);
        continue;
      }
      this.write(sub, bytes);
    }
  }

  private sendFull(sub: Subscriber, service: string, type: 'SNAPSHOT' | 'RESYNC', reason: string): void {
    // Many subscribers asking for the same state at the same revision (every proxy reconnecting after a
    // restart) share one encoding. Any write moves the revision and so invalidates every entry.
    const key = `${type}\0${reason}\0${service}`;
    if (this.fullCacheRevision !== this.store.revision || this.fullCache.size >= 256) {
      this.fullCache.clear();
      this.fullCacheRevision = this.store.revision;
    }
    let msg = this.fullCache.get(key);
    if (!msg) {
      msg = encodeWatchResponse({
        type,
        service,
        revision: this.store.revision,
        instances: this.store.list(service).map(toWire),
        reason,
      });
      this.fullCache.set(key, msg);
    }
    if (type === 'RESYNC') this.metrics.inc('watch_resyncs');
    this.write(sub, msg);
  }

  private write(sub: Subscriber, bytes: Buffer): void {
    this.bytesPushed += bytes.length;
    this.metrics.inc('watch_events_delivered');
    const ok = sub.stream.write(bytes);
    if (!ok && sub.stream.writableLength > this.maxPendingBytes) sub.blocked = true;
  }
}

function deltaMessage(c: ServiceChange): Parameters<typeof encodeWatchResponse>[0] {
  return {
    type: 'DELTA',
    service: c.service,
    revision: c.revision,
    added: c.added.map(toWire),
    updated: c.updated.map(toWire),
    removed: [...c.removed],
  };
}

/** Wraps a synchronous handler: RegistryErrors become gRPC statuses carrying the REG_ERR_* code. */
function unary<Req>(fn: (req: Req) => object): grpc.handleUnaryCall<Req, object> {
  return (call, callback) => {
    try {
      callback(null, fn(call.request));
    } catch (err) {
      const md = new grpc.Metadata();
      const code = isRegistryError(err) ? err.code : 'REG_ERR_PROTOCOL';
      md.set(ERROR_CODE_KEY, code);
      const status =
        code === 'REG_ERR_INVALID_INSTANCE'
          ? grpc.status.INVALID_ARGUMENT
          : code === 'REG_ERR_LEASE_LOST'
            ? grpc.status.FAILED_PRECONDITION
            : grpc.status.INTERNAL;
      callback({ code: status, details: err instanceof Error ? err.message : String(err), metadata: md });
    }
  };
}
