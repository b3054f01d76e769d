// The revisioned in-memory state behind the embedded registry, used in-process and by the server.
//
// Every write gets the next global revision (like etcd), so a client that reconnects can ask "what
// changed in service S since revision R?" and get a net delta from a bounded history; when the history
// no longer reaches back to R the answer is "compacted" and the client resyncs. Liveness is leases:
// a lease has a TTL, owns keys, and when it is revoked or expires all its keys go in one revision.
import { RegistryError } from '../errors.js';
import { byId, instanceEqual } from '../instance.js';
import { Metrics } from '../metrics.js';
import type { Instance, WatchOptions } from '../types.js';
import { WatchChannel } from '../watch/channel.js';

/** One write, as the history, the WAL and change listeners see it. */
export type Mutation =
  | { readonly op: 'put'; readonly instance: Instance; readonly lease: number }
  | { readonly op: 'del'; readonly service: string; readonly id: string }
  | { readonly op: 'grant'; readonly lease: number; readonly ttlMs: number }
  | { readonly op: 'revoke'; readonly lease: number };

/** The per-service effect of one revision. */
export interface ServiceChange {
  readonly service: string;
  readonly revision: number;
  readonly added: readonly Instance[];
  readonly updated: readonly Instance[];
  readonly removed: readonly string[];
}

interface Entry {
  instance: Instance;
  lease: number;
}

interface Lease {
  readonly id: number;
  readonly ttlMs: number;
  expiresAt: number;
  readonly keys: Set<string>;
}

/** One record of the bounded history: the key's state before the write lets a net delta be computed. */
interface HistoryRecord {
  readonly revision: number;
  readonly service: string;
  readonly id: string;
  readonly existedBefore: boolean;
}

export interface MemoryStoreOptions {
  /** Per-key changes kept for resume-from-revision. Default 100,000 (bounded ring). */
  readonly historyLimit?: number;
  /** How often expired leases are swept, ms. Default 200. */
  readonly sweepIntervalMs?: number;
  readonly now?: () => number;
  readonly metrics?: Metrics;
}

/** Persistent form of the whole state (the server's snapshot file). */
export interface StoreSnapshot {
  readonly revision: number;
  readonly nextLease: number;
  readonly leases: readonly { readonly id: number; readonly ttlMs: number }[];
  readonly entries: readonly { readonly instance: Instance; readonly lease: number }[];
}

export type ChangeListener = (changes: readonly ServiceChange[], mutations: readonly Mutation[]) => void;

const key = (service: string, id: string): string => `${service}/${id}`;

export class MemoryStore {
  readonly metrics: Metrics;
  private rev = 0;
  private nextLease = 1;
  private readonly services = new Map<string, Map<string, Entry>>();
  private readonly leases = new Map<number, Lease>();
  /**
   * No lease expires before this instant (a lower bound: renewals only move deadlines later), so a
   * sweep with nothing due costs one comparison instead of a walk over every lease.
   */
  private earliestExpiry = Number.POSITIVE_INFINITY;
  private readonly history: HistoryRecord[] = [];
  private historyStart = 0; // index of the oldest live record in `history` (a ring without copying)
  private compactedThrough = 0; // changes at or below this revision are no longer in history
  private readonly historyLimit: number;
  private readonly watchers = new Map<string, Set<WatchChannel>>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.metrics = options.metrics ?? new Metrics();
    this.historyLimit = Math.max(1, options.historyLimit ?? 100_000);
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.expireLeases(), options.sweepIntervalMs ?? 200);
    this.sweeper.unref();
  }

  get revision(): number {
    return this.rev;
  }

  /** Called after every applied write, synchronously (the server logs and fans out from here). */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- leases ----

  /** Creates a lease. `id` is given only when replaying a log. */
  grantLease(ttlMs: number, id?: number): number {
    this.assertOpen();
    if (!Number.isFinite(ttlMs) || ttlMs < 1)
      throw new RegistryError('REG_ERR_INVALID_INSTANCE', `ttl ${ttlMs} ms < 1`);
    const leaseId = id ?? this.nextLease;
    this.nextLease = Math.max(this.nextLease, leaseId + 1);
    const expiresAt = this.now() + ttlMs;
    this.leases.set(leaseId, { id: leaseId, ttlMs, expiresAt, keys: new Set() });
    this.earliestExpiry = Math.min(this.earliestExpiry, expiresAt);
    this.emit([], [{ op: 'grant', lease: leaseId, ttlMs }]);
    return leaseId;
  }

  /** Renews a lease; false when it is already gone (the owner must re-register). */
  keepAlive(leaseId: number): boolean {
    const l = this.leases.get(leaseId);
    if (!l) return false;
    l.expiresAt = this.now() + l.ttlMs;
    return true;
  }

  hasLease(leaseId: number): boolean {
    return this.leases.has(leaseId);
  }

  /** Removes the lease and every key it owns, in one revision. */
  revokeLease(leaseId: number): number {
    const l = this.leases.get(leaseId);
    if (!l) return this.rev;
    this.leases.delete(leaseId);
    const removals: { service: string; id: string }[] = [];
    for (const k of l.keys) {
      const slash = k.indexOf('/');
      removals.push({ service: k.slice(0, slash), id: k.slice(slash + 1) });
    }
    return this.applyRemovals(removals, [{ op: 'revoke', lease: leaseId }]);
  }

  /** Sweeps leases past their deadline. Public so tests and the server's restart path can force it. */
  expireLeases(): void {
    if (this.closed) return;
    const now = this.now();
    if (now < this.earliestExpiry) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const l of [...this.leases.values()]) {
      if (l.expiresAt <= now) {
        this.metrics.inc('lease_expirations', Math.max(1, l.keys.size));
        this.revokeLease(l.id);
      } else if (l.expiresAt < earliest) {
        earliest = l.expiresAt;
      }
    }
    this.earliestExpiry = earliest;
  }

  // ---- writes ----

  /** Adds or replaces an instance; identical data under the same lease is a no-op (no revision). */
  put(instance: Instance, lease = 0): number {
    this.assertOpen();
    if (lease !== 0 && !this.leases.has(lease)) {
      throw new RegistryError('REG_ERR_LEASE_LOST', `lease ${lease} is not live`);
    }
    let svc = this.services.get(instance.service);
    const prev = svc?.get(instance.id);
    if (prev && prev.lease === lease && instanceEqual(prev.instance, instance)) return this.rev;
    if (!svc) {
      svc = new Map();
      this.services.set(instance.service, svc);
    }
    const k = key(instance.service, instance.id);
    if (prev && prev.lease !== lease) this.leases.get(prev.lease)?.keys.delete(k);
    if (lease !== 0) this.leases.get(lease)?.keys.add(k);
    svc.set(instance.id, { instance, lease });
    const revision = ++this.rev;
    this.record(revision, instance.service, instance.id, prev !== undefined);
    this.metrics.inc('writes');
    const change: ServiceChange = {
      service: instance.service,
      revision,
      added: prev ? [] : [instance],
      updated: prev ? [instance] : [],
      removed: [],
    };
    this.emit([change], [{ op: 'put', instance, lease }]);
    return revision;
  }

  /** Removes an instance; returns the current revision when it was not there. */
  delete(service: string, id: string): number {
    this.assertOpen();
    if (!this.services.get(service)?.has(id)) return this.rev;
    return this.applyRemovals([{ service, id }], [{ op: 'del', service, id }]);
  }

  // ---- reads ----

  list(service: string): Instance[] {
    const svc = this.services.get(service);
    if (!svc) return [];
    return [...svc.values()].map((e) => e.instance).sort(byId);
  }

  get(service: string, id: string): { instance: Instance; lease: number } | undefined {
    const e = this.services.get(service)?.get(id);
    return e ? { instance: e.instance, lease: e.lease } : undefined;
  }

  serviceNames(): string[] {
    return [...this.services.keys()].sort();
  }

  /**
   * The net change of `service` after `revision`, or 'compacted' when history no longer reaches back
   * (the caller must then resync from list()).
   */
  changesSince(service: string, revision: number): ServiceChange | 'compacted' {
    if (revision > this.rev) return 'compacted'; // a revision from a lost future (unacknowledged writes)
    if (revision < this.compactedThrough) return 'compacted';
    const firstSeen = new Map<string, boolean>(); // id → existed before `revision`
    for (let i = this.history.length - 1; i >= this.historyStart; i--) {
      const r = this.history[i]!;
      if (r.revision <= revision) break;
      if (r.service === service) firstSeen.set(r.id, r.existedBefore); // later iterations = earlier records
    }
    const svc = this.services.get(service);
    const added: Instance[] = [];
    const updated: Instance[] = [];
    const removed: string[] = [];
    for (const [id, before] of firstSeen) {
      const now = svc?.get(id);
      if (now && before) updated.push(now.instance);
      else if (now) added.push(now.instance);
      else if (before) removed.push(id);
    }
    return { service, revision: this.rev, added, updated, removed };
  }

  /** An in-process watch; deltas are pushed synchronously on every write. */
  watch(
    service: string,
    options?: WatchOptions,
    metrics: Metrics = this.metrics,
    onClose?: (ch: WatchChannel) => void,
  ): WatchChannel {
    this.assertOpen();
    let set = this.watchers.get(service);
    if (!set) {
      set = new Set();
      this.watchers.set(service, set);
    }
    const ch = new WatchChannel(
      service,
      options,
      metrics,
      () => ({ revision: this.rev, instances: this.list(service) }),
      (c) => {
        const s = this.watchers.get(service);
        s?.delete(c);
        if (s?.size === 0) this.watchers.delete(service);
        onClose?.(c);
      },
    );
    set.add(ch);
    ch.pushInitial();
    return ch;
  }

  // ---- persistence ----

  toSnapshot(): StoreSnapshot {
    const entries: { instance: Instance; lease: number }[] = [];
    for (const svc of this.services.values()) for (const e of svc.values()) entries.push({ ...e });
    return {
      revision: this.rev,
      nextLease: this.nextLease,
      leases: [...this.leases.values()].map((l) => ({ id: l.id, ttlMs: l.ttlMs })),
      entries,
    };
  }

  /**
   * Loads a snapshot into an empty store. Leases get a fresh full TTL from now: after a restart the
   * owners get one TTL to reconnect and renew (etcd does the same on leader change).
   */
  loadSnapshot(s: StoreSnapshot): void {
    this.rev = s.revision;
    this.nextLease = s.nextLease;
    this.compactedThrough = s.revision; // history before a snapshot is gone
    for (const l of s.leases) {
      const expiresAt = this.now() + l.ttlMs;
      this.leases.set(l.id, { id: l.id, ttlMs: l.ttlMs, expiresAt, keys: new Set() });
      this.earliestExpiry = Math.min(this.earliestExpiry, expiresAt);
    }
    for (const e of s.entries) {
      let svc = this.services.get(e.instance.service);
      if (!svc) {
        svc = new Map();
        this.services.set(e.instance.service, svc);
      }
      svc.set(e.instance.id, { instance: e.instance, lease: e.lease });
      if (e.lease !== 0) this.leases.get(e.lease)?.keys.add(key(e.instance.service, e.instance.id));
    }
  }

  /** Re-applies one logged mutation (WAL replay); revisions advance exactly as they did originally. */
  replay(m: Mutation): void {
    switch (m.op) {
      case 'grant':
        this.grantLease(m.ttlMs, m.lease);
        break;
      case 'revoke':
        this.revokeLease(m.lease);
        break;
      case 'put':
        if (m.lease !== 0 && !this.leases.has(m.lease)) break; // lease revoked later in a trimmed log
        this.put(m.instance, m.lease);
        break;
      case 'del':
        this.delete(m.service, m.id);
        break;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const set of [...this.watchers.values()]) for (const ch of [...set]) ch.end();
    this.listeners.clear();
  }

  // ---- internals ----

  private applyRemovals(removals: { service: string; id: string }[], mutations: Mutation[]): number {
    const byService = new Map<string, string[]>();
    for (const { service, id } of removals) {
      const svc = this.services.get(service);
      const e = svc?.get(id);
      if (!svc || !e) continue;
      svc.delete(id);
      if (svc.size === 0) this.services.delete(service);
      if (e.lease !== 0) this.leases.get(e.lease)?.keys.delete(key(service, id));
      let ids = byService.get(service);
      if (!ids) {
        ids = [];
        byService.set(service, ids);
      }
      ids.push(id);
    }
    if (byService.size === 0 && mutations.every((m) => m.op !== 'del')) {
      this.emit([], mutations);
      return this.rev;
    }
    const revision = ++this.rev;
    const changes: ServiceChange[] = [];
    for (const [service, ids] of byService) {
      for (const id of ids) this.record(revision, service, id, true);
      changes.push({ service, revision, added: [], updated: [], removed: ids });
    }
    this.metrics.inc('writes');
    this.emit(changes, mutations);
    return revision;
  }

  private record(revision: number, service: string, id: string, existedBefore: boolean): void {
    this.history.push({ revision, service, id, existedBefore });
    if (this.history.length - this.historyStart > this.historyLimit) {
      this.compactedThrough = this.history[this.historyStart]!.revision;
      this.historyStart++;
      // Reclaim the dead prefix in bulk so trimming stays amortized O(1).
      if (this.historyStart > this.historyLimit) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
  }

  private emit(changes: readonly ServiceChange[], mutations: readonly Mutation[]): void {
    for (const listener of this.listeners) listener(changes, mutations);
    for (const c of changes) {
      const set = this.watchers.get(c.service);
      if (!set) continue;
      for (const ch of set) ch.pushDelta(c);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new RegistryError('REG_ERR_CLOSED', 'store closed');
  }
}
