// The in-process embedded registry: a Registry handle over a MemoryStore in the same process.
// Several handles may share one store (each handle is one "client": its own session and keepalives),
// which is how the demo runs many apps in one process and how tests emulate client crashes.
import { RegistryError } from '../../errors.js';
import { normalizeInstance } from '../../instance.js';
import type { MemoryStore } from '../../store/memory-store.js';
import type {
  Instance,
  InstanceSpec,
  RegisterOptions,
  Registration,
  Registry,
  RegistryMetrics,
  Watch,
  WatchOptions,
} from '../../types.js';
import type { WatchChannel } from '../../watch/channel.js';

export interface InProcessOptions {
  /** TTL of the lease that emulates this handle's session (see Liveness `session`). Default 10 s. */
  readonly sessionTtlMs?: number;
  /** TTL used when register() is given no liveness. Default 10 s. */
  readonly defaultTtlMs?: number;
}

export class InProcessRegistry implements Registry {
  readonly kind = 'embedded';
  private readonly sessionTtlMs: number;
  private readonly defaultTtlMs: number;
  private sessionLease = 0;
  /** Leases this handle keeps alive, with their renewal timers. */
  private readonly held = new Map<number, NodeJS.Timeout>();
  private readonly watches = new Set<WatchChannel>();
  private closed = false;

  constructor(
    private readonly store: MemoryStore,
    options: InProcessOptions = {},
  ) {
    this.sessionTtlMs = options.sessionTtlMs ?? 10_000;
    this.defaultTtlMs = options.defaultTtlMs ?? 10_000;
  }

  get metrics(): RegistryMetrics {
    return this.store.metrics;
  }

  async register(spec: InstanceSpec, options?: RegisterOptions): Promise<Registration> {
    this.assertOpen();
    const instance = normalizeInstance(spec);
    const liveness = options?.liveness ?? { kind: 'ttl', ttlMs: this.defaultTtlMs };
    let lease: number;
    if (liveness.kind === 'session') {
      if (this.sessionLease === 0 || !this.store.hasLease(this.sessionLease)) {
        this.sessionLease = this.hold(this.store.grantLease(this.sessionTtlMs), this.sessionTtlMs);
      }
      lease = this.sessionLease;
    } else {
      // A lease per TTL registration: it can be dropped alone without touching the others.
      lease = this.hold(this.store.grantLease(liveness.ttlMs), liveness.ttlMs);
    }
    const previous = this.store.get(instance.service, instance.id);
    const revision = this.store.put(instance, lease);
    if (previous && previous.lease !== lease) this.release(previous.lease);
    let done = false;
    return {
      instance,
      revision,
      deregister: async () => {
        if (done) return;
        done = true;
        const current = this.store.get(instance.service, instance.id);
        if (current?.lease === lease) this.store.delete(instance.service, instance.id);
        if (lease !== this.sessionLease) this.release(lease);
      },
    };
  }

  async deregister(service: string, id: string): Promise<void> {
    this.assertOpen();
    const current = this.store.get(service, id);
    this.store.delete(service, id);
    if (current && current.lease !== this.sessionLease) this.release(current.lease);
  }

  async list(service: string): Promise<readonly Instance[]> {
    this.assertOpen();
    return this.store.list(service);
  }

  async services(): Promise<readonly string[]> {
    this.assertOpen();
    return this.store.serviceNames();
  }

  watch(service: string, options?: WatchOptions): Watch {
    this.assertOpen();
    const ch = this.store.watch(service, options, undefined, (c) => this.watches.delete(c));
    this.watches.add(ch);
    return ch;
  }

  /**
   * Simulates this client dying: keepalives stop, nothing is revoked, so its instances disappear only
   * when their leases expire. A seam for contract tests; the handle is unusable afterwards.
   */
  abandon(): void {
    this.closed = true;
    for (const t of this.held.values()) clearInterval(t);
    this.held.clear();
    for (const ch of this.watches) ch.end();
    this.watches.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [lease, t] of this.held) {
      clearInterval(t);
      // Session leases go with the session; TTL leases too: closing is an orderly shutdown.
      this.store.revokeLease(lease);
    }
    this.held.clear();
    for (const ch of this.watches) ch.end();
    this.watches.clear();
  }

  private hold(lease: number, ttlMs: number): number {
    // Renew at a third of the TTL so two missed renewals still leave the lease alive.
    const t = setInterval(() => this.store.keepAlive(lease), Math.max(10, Math.floor(ttlMs / 3)));
    t.unref();
    this.held.set(lease, t);
    return lease;
  }

  private release(lease: number): void {
    const t = this.held.get(lease);
    if (!t) return;
    clearInterval(t);
    this.held.delete(lease);
    this.store.revokeLease(lease);
  }

  private assertOpen(): void {
    if (this.closed) throw new RegistryError('REG_ERR_CLOSED', 'registry closed');
  }
}
