// `etcd://host:port[,host:port]?prefix=/strait/registry`: a Registry over etcd v3 (the `etcd3` client).
//
// Layout: one key per instance, `<prefix>/services/<service>/<id>`, value the Instance as JSON, attached
// to a lease (etcd grants TTLs in whole seconds, at least its minimum TTL). A watch is a range read at
// revision R (the snapshot), then an etcd watch from R+1, so nothing falls between them. etcd3 resumes
// a dropped watch from its last revision by itself; when that revision was compacted meanwhile, etcd
// cancels the watch (ErrCompacted) and we resync: a fresh range read and a new watch from there.
import { Etcd3, type IKeyValue, type IWatchResponse, type Lease, type Watcher } from 'etcd3';
import { RegistryError } from '../../errors.js';
import { byId, instanceFromJSON, normalizeInstance } from '../../instance.js';
import { Metrics } from '../../metrics.js';
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

export interface EtcdRegistryOptions {
  /** Client endpoints, `host:port` or URLs. */
  readonly hosts: readonly string[];
  /** Key prefix. Default `/strait/registry`. */
  readonly prefix?: string;
  /** Session lease TTL. Default 10 s. */
  readonly sessionTtlMs?: number;
  /** TTL when register() gets no liveness. Default 10 s. */
  readonly defaultTtlMs?: number;
  /** Per-call deadline. Default 5 s. */
  readonly callTimeoutMs?: number;
}

interface HeldLease {
  readonly lease: Lease;
  readonly ttlMs: number;
  readonly session: boolean;
  readonly keys: Map<string, Instance>;
}

interface Subscription {
  revision: number;
  ready: boolean;
  readonly state: Map<string, Instance>;
  readonly channels: Set<WatchChannel>;
  readonly waiting: Set<WatchChannel>;
  watcher: Watcher | undefined;
  /** Bumped on every (re)start so late callbacks of an old etcd watcher are ignored. */
  generation: number;
}

const ttlSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

export class EtcdRegistry implements Registry {
  readonly kind = 'etcd';
  readonly metrics = new Metrics();
  readonly client: Etcd3;
  private readonly prefix: string;
  private readonly defaultTtlMs: number;
  private readonly held = new Set<HeldLease>();
  private readonly leases: LeaseSource<HeldLease>;
  private readonly subs = new Map<string, Subscription>();
  private paused = false;
  private closed = false;

  constructor(options: EtcdRegistryOptions) {
    if (options.hosts.length === 0) throw new RegistryError('REG_ERR_INVALID_URL', 'etcd: no hosts');
    this.client = new Etcd3({
      hosts: options.hosts.map((h) => (h.includes('://') ? h : `http://${h}`)),
      defaultCallOptions: () => ({ deadline: Date.now() + (options.callTimeoutMs ?? 5_000) }),
    });
    this.prefix = (options.prefix ?? '/strait/registry').replace(/\/+$/, '');
    this.leases = new LeaseSource(options.sessionTtlMs ?? 10_000, (ttlMs, session) =>
      this.newLease(ttlMs, session),
    );
    this.defaultTtlMs = options.defaultTtlMs ?? 10_000;
  }

  private serviceKey(service: string): string {
    return `${this.prefix}/services/${service}/`;
  }

  // ---- writes ----

  async register(spec: InstanceSpec, options?: RegisterOptions): Promise<Registration> {
    this.assertOpen();
    const instance = normalizeInstance(spec);
    const liveness: Liveness = options?.liveness ?? { kind: 'ttl', ttlMs: this.defaultTtlMs };
    const held = await this.leases.forLiveness(liveness);
    const key = this.serviceKey(instance.service) + instance.id;
    const res = await this.wrap('put', () => held.lease.put(key).value(JSON.stringify(instance)).exec());
    for (const other of this.held)
      if (other !== held && other.keys.delete(key)) await this.releaseIfEmpty(other);
    held.keys.set(key, instance);
    let done = false;
    return {
      instance,
      revision: Number(res.header.revision),
      deregister: async () => {
        if (done) return;
        done = true;
        if (!held.keys.has(key)) return;
        await this.deregister(instance.service, instance.id);
      },
    };
  }

  async deregister(service: string, id: string): Promise<void> {
    this.assertOpen();
    const key = this.serviceKey(service) + id;
    await this.wrap('delete', () => this.client.delete().key(key).exec());
    for (const h of [...this.held]) if (h.keys.delete(key)) await this.releaseIfEmpty(h);
  }

  // ---- reads ----

  async list(service: string): Promise<readonly Instance[]> {
    this.assertOpen();
    return (await this.range(service)).instances;
  }

  async services(): Promise<readonly string[]> {
    this.assertOpen();
    const root = `${this.prefix}/services/`;
    const keys = await this.wrap('list', () => this.client.getAll().prefix(root).keys());
    const names = new Set<string>();
    for (const k of keys) {
      const rest = k.slice(root.length);
      const slash = rest.indexOf('/');
      if (slash > 0) names.add(rest.slice(0, slash));
    }
    return [...names].sort();
  }

  watch(service: string, options?: WatchOptions): Watch {
    this.assertOpen();
    let sub = this.subs.get(service);
    const fresh = !sub;
    if (!sub) {
      sub = {
        revision: 0,
        ready: false,
        state: new Map(),
        channels: new Set(),
        waiting: new Set(),
        watcher: undefined,
        generation: 0,
      };
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
          s.generation++;
          void s.watcher?.cancel().catch(() => undefined);
        }
      },
    );
    s.channels.add(ch);
    if (s.ready) ch.pushInitial();
    else s.waiting.add(ch);
    if (fresh) void this.resync(service, s, undefined);
    return ch;
  }

  // ---- lifecycle ----

  async close(): Promise<void> {
    if (this.closed) return;
    const leases = [...this.held];
    this.shutdown();
    await Promise.all(leases.map((h) => h.lease.revoke().catch(() => undefined)));
    this.client.close();
  }

  /** Test seam: dies without revoking (keepalives stop; etcd expires the leases after their TTL). */
  abandon(): void {
    if (this.closed) return;
    for (const h of this.held) h.lease.release();
    this.shutdown();
    this.client.close();
  }

  /** Test seam: cancels the etcd watches (keeping state and revision) until resumeWatch(). */
  async pauseWatch(): Promise<void> {
    this.paused = true;
    for (const sub of this.subs.values()) {
      sub.generation++;
      const w = sub.watcher;
      sub.watcher = undefined;
      await w?.cancel().catch(() => undefined);
    }
  }

  /** Resumes watching from the last seen revision (etcd answers ErrCompacted if it is gone). */
  resumeWatch(): void {
    this.paused = false;
    for (const [service, sub] of this.subs) void this.startWatcher(service, sub, sub.revision + 1);
  }

  private shutdown(): void {
    this.closed = true;
    this.held.clear();
    this.leases.forgetSession();
    for (const sub of this.subs.values()) {
      sub.generation++;
      void sub.watcher?.cancel().catch(() => undefined);
      for (const ch of [...sub.channels]) ch.end();
    }
    this.subs.clear();
  }

  // ---- leases ----

  private async newLease(ttlMs: number, session: boolean): Promise<HeldLease> {
    const lease = this.client.lease(ttlSeconds(ttlMs));
    await this.wrap('lease grant', () => lease.grant());
    const held: HeldLease = { lease, ttlMs, session, keys: new Map() };
    this.held.add(held);
    // 'lost': keepalive failed for longer than the TTL or etcd revoked it. Re-grant and re-put.
    lease.on('lost', () => void this.heal(held));
    return held;
  }

  private async heal(old: HeldLease): Promise<void> {
    if (this.closed || !this.held.delete(old)) return;
    this.metrics.inc('lease_expirations', old.keys.size);
    if (old.session) this.leases.forgetSession();
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.leases.replace(old, async (fresh, key, instance: Instance) => {
          await fresh.lease.put(key).value(JSON.stringify(instance)).exec();
          fresh.keys.set(key, instance);
        });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** attempt)).unref());
      }
    }
  }

  private async releaseIfEmpty(h: HeldLease): Promise<void> {
    if (h.session || h.keys.size > 0) return;
    this.held.delete(h);
    await h.lease.revoke().catch(() => undefined);
  }

  // ---- watch ----

  private async range(service: string): Promise<{ revision: number; instances: Instance[] }> {
    const res = await this.wrap('range', () => this.client.getAll().prefix(this.serviceKey(service)).exec());
    const instances: Instance[] = [];
    for (const kv of res.kvs) {
      const i = this.decode(kv);
      if (i) instances.push(i);
    }
    return { revision: Number(res.header.revision), instances: instances.sort(byId) };
  }

  /** Snapshot by range read, then watch from the next revision. Retries until it succeeds or closes. */
  private async resync(service: string, sub: Subscription, reason: ResyncReason | undefined): Promise<void> {
    const generation = ++sub.generation;
    const old = sub.watcher;
    sub.watcher = undefined;
    void old?.cancel().catch(() => undefined);
    for (let attempt = 0; ; attempt++) {
      if (this.closed || sub.generation !== generation) return;
      try {
        const snap = await this.range(service);
        if (this.closed || sub.generation !== generation) return;
        sub.state.clear();
        for (const i of snap.instances) sub.state.set(i.id, i);
        sub.revision = snap.revision;
        const wasReady = sub.ready;
        sub.ready = true;
        for (const ch of sub.channels) {
          if (sub.waiting.has(ch)) ch.pushInitial();
          else if (wasReady) ch.pushResync(reason ?? 'reconnect');
        }
        sub.waiting.clear();
        await this.startWatcher(service, sub, snap.revision + 1);
        return;
      } catch {
        this.metrics.inc('reconnects');
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)).unref());
      }
    }
  }

  private async startWatcher(service: string, sub: Subscription, fromRevision: number): Promise<void> {
    if (this.paused || this.closed) return;
    const generation = sub.generation;
    const watcher = this.client
      .watch()
      .prefix(this.serviceKey(service))
      .startRevision(String(fromRevision))
      .watcher();
    sub.watcher = watcher;
    watcher.on('data', (res: IWatchResponse) => {
      if (sub.generation === generation) this.onEvents(sub, res);
    });
    watcher.on('error', () => {
      // etcd cancels a watch whose start revision was compacted (ErrCompacted): resync from a range read.
      if (sub.generation === generation && !this.closed) void this.resync(service, sub, 'compacted');
    });
  }

  private onEvents(sub: Subscription, res: IWatchResponse): void {
    if (res.events.length === 0) return;
    const added: Instance[] = [];
    const updated: Instance[] = [];
    const removed: string[] = [];
    let revision = sub.revision;
    for (const ev of res.events) {
      revision = Math.max(revision, Number(ev.kv.mod_revision));
      const id = ev.kv.key.toString().slice(ev.kv.key.toString().lastIndexOf('/') + 1);
      if (ev.type === 'Delete') {
        if (sub.state.delete(id)) removed.push(id);
        continue;
      }
      const i = this.decode(ev.kv);
      if (!i) continue;
      if (sub.state.has(i.id)) updated.push(i);
      else added.push(i);
      sub.state.set(i.id, i);
    }
    if (revision <= sub.revision) return;
    sub.revision = revision;
    for (const ch of sub.channels)
      if (!sub.waiting.has(ch)) ch.pushDelta({ revision, added, updated, removed });
  }

  private decode(kv: IKeyValue): Instance | undefined {
    try {
      return instanceFromJSON(JSON.parse(kv.value.toString()));
    } catch {
      return undefined; // a foreign or corrupt value under our prefix: skip it rather than fail the watch
    }
  }

  private async wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (this.closed) throw new RegistryError('REG_ERR_CLOSED', 'registry closed', { cause: err });
      const msg = err instanceof Error ? err.message : String(err);
      const code = /deadline/i.test(msg) ? 'REG_ERR_TIMEOUT' : 'REG_ERR_UNAVAILABLE';
      throw new RegistryError(code, `etcd ${what}: ${msg}`, { cause: err });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new RegistryError('REG_ERR_CLOSED', 'registry closed');
  }
}
