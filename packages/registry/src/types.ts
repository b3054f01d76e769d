// The one registry interface every backend implements (embedded, etcd, ZooKeeper, Kubernetes).
//
// Shape: writes are register/deregister with a liveness mode; reads are list() and watch(). A watch is
// level-then-edge: the first event is always a full snapshot, later events are revisioned deltas, and
// whenever the backend cannot prove it saw every change (compacted revision, lost session, reconnect,
// a consumer that fell behind) it emits a `resync` carrying a fresh full snapshot. Consumers therefore
// never need to reason about gaps: "replace state on snapshot/resync, apply on delta" is always correct.

/** Wire protocol an instance serves; decides the Envoy filter chain a consumer builds for it. */
export type Protocol = 'http' | 'grpc' | 'dubbo' | 'tcp';

/** Health as the registry knows it. `draining` still serves in-flight work but should get no new calls. */
export type Health = 'healthy' | 'unhealthy' | 'draining';

/**
 * Well-known label keys. Labels are free-form, but these drive locality (Envoy `Locality`
 * region/zone/sub_zone, where the cell is the sub-zone) and version-based routing.
 */
export const LABEL_VERSION = 'version';
export const LABEL_CELL = 'cell';
export const LABEL_ZONE = 'zone';
export const LABEL_REGION = 'region';

/** One endpoint of one service, as stored and as delivered to watchers. Immutable once delivered. */
export interface Instance {
  /** Unique within `service`. Default when registering: `address:port`. */
  readonly id: string;
  /** The service name watchers subscribe to (a Kubernetes-style host, a Dubbo application or interface). */
  readonly service: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** Relative load-balancing weight, 1..2^31-1 (Envoy's `load_balancing_weight` must be >= 1). */
  readonly weight: number;
  readonly health: Health;
  /** Includes `version`, `cell`, `zone`, `region` when known. */
  readonly labels: Readonly<Record<string, string>>;
  /** The application (Dubbo `application`, Kubernetes workload) this instance belongs to. */
  readonly application: string;
  /** Interfaces served (Dubbo interface names, gRPC service names); empty when not meaningful. */
  readonly interfaces: readonly string[];
  /** Opaque extra data carried to consumers unchanged (Dubbo URL parameters, timestamps...). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** What a caller passes to register(): the required identity plus optional fields with defaults. */
export interface InstanceSpec {
  readonly service: string;
  readonly address: string;
  readonly port: number;
  readonly id?: string;
  /** Default `tcp`. */
  readonly protocol?: Protocol;
  /** Default 100 (Dubbo's default weight). */
  readonly weight?: number;
  /** Default `healthy`. */
  readonly health?: Health;
  readonly labels?: Readonly<Record<string, string>>;
  /** Default: the service name. */
  readonly application?: string;
  readonly interfaces?: readonly string[];
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * How the registry decides an instance is gone when its owner disappears without deregistering.
 * - `ttl`: the owner must renew within `ttlMs` (the client renews automatically while the
 *   registration is held; etcd leases, embedded server leases).
 * - `session`: the instance lives exactly as long as the owning client's session/connection
 *   (ZooKeeper ephemeral nodes). A backend without sessions emulates it with a short TTL.
 */
export type Liveness = { readonly kind: 'ttl'; readonly ttlMs: number } | { readonly kind: 'session' };

export interface RegisterOptions {
  /** Default: the backend's natural mode (`session` for ZooKeeper, `ttl` 10 s elsewhere). */
  readonly liveness?: Liveness;
}

/** A held registration. Keepalive runs in the background until deregister() or the registry closes. */
export interface Registration {
  readonly instance: Instance;
  /** Revision at which the write became visible (0 when the backend has no revisions). */
  readonly revision: number;
  /** Removes the instance and stops keepalive. Idempotent. */
  deregister(): Promise<void>;
}

/** Why a watcher was handed a fresh full snapshot instead of the next delta. */
export type ResyncReason =
  /** The backend's history no longer reaches back to the watcher's revision (etcd compaction, WAL trim). */
  | 'compacted'
  /** The client's session expired; everything learned under it may be stale (ZooKeeper). */
  | 'session-lost'
  /** The connection to the server dropped and was re-established. */
  | 'reconnect'
  /** The watcher fell behind its bounded buffer; buffered deltas were dropped (see metrics). */
  | 'overflow';

/** First event of every watch: everything currently registered for the service. */
export interface SnapshotEvent {
  readonly type: 'snapshot';
  readonly service: string;
  readonly revision: number;
  readonly instances: readonly Instance[];
}

/**
 * Changes since the previous event. `added`/`updated` carry whole instances; `removed` carries ids.
 * Revisions increase strictly within one watch; they are comparable only within one backend.
 */
export interface DeltaEvent {
  readonly type: 'delta';
  readonly service: string;
  readonly revision: number;
  readonly added: readonly Instance[];
  readonly updated: readonly Instance[];
  readonly removed: readonly string[];
}

/** A full snapshot that replaces the watcher's state after a gap. */
export interface ResyncEvent {
  readonly type: 'resync';
  readonly service: string;
  readonly revision: number;
  readonly reason: ResyncReason;
  readonly instances: readonly Instance[];
}

export type WatchEvent = SnapshotEvent | DeltaEvent | ResyncEvent;

export interface WatchOptions {
  /**
   * Most events buffered for a slow consumer. When exceeded, pending deltas are dropped and the
   * consumer gets one `resync` instead (memory per watcher stays bounded). Default 1024.
   */
  readonly maxBufferedEvents?: number;
  /**
   * Pending deltas are merged into one (a burst of N changes costs one wake-up). Default true; the
   * merge keeps the latest revision and nets out add-then-remove.
   */
  readonly coalesce?: boolean;
  /** Ends the watch (the iterator completes) when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * A live subscription. Iterate it (`for await`), and close() when done; breaking out of a
 * `for await` loop closes it too. After the registry closes, iteration completes.
 */
export interface Watch extends AsyncIterable<WatchEvent, void, undefined> {
  readonly service: string;
  close(): void;
}

/** Counters a registry exposes; names are stable (they become Prometheus metrics). */
export interface RegistryMetrics {
  /** Current value of every counter, by name. */
  snapshot(): Readonly<Record<string, number>>;
}

/** Every backend implements this. All methods reject with a `RegistryError` (see errors.ts). */
export interface Registry {
  /** The backend kind (`embedded`, `etcd`, `zookeeper`, `kubernetes`). */
  readonly kind: string;
  readonly metrics: RegistryMetrics;
  /** Adds or replaces (same service + id) an instance. */
  register(spec: InstanceSpec, options?: RegisterOptions): Promise<Registration>;
  /** Removes one instance; resolves even when it was already gone. */
  deregister(service: string, id: string): Promise<void>;
  /** Current instances of a service, sorted by id. */
  list(service: string): Promise<readonly Instance[]>;
  /** Names of services with at least one instance, sorted. */
  services(): Promise<readonly string[]>;
  watch(service: string, options?: WatchOptions): Watch;
  /** Stops keepalives, ends every watch, releases connections. Registrations with `session` liveness go away. */
  close(): Promise<void>;
}

/** Creates a registry for one parsed `--registry` URL; each backend's setup() registers one. */
export type RegistryFactory = (url: URL) => Promise<Registry>;
