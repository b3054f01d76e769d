// Lease bookkeeping shared by the backends whose registrations ride on server-side leases (the
// embedded client and etcd): session-liveness registrations share one session lease, granted on first
// use; TTL registrations get a lease of their own; a lease the server lost is replaced by one of the
// same kind and its registrations are written again. What a lease is (a number, an etcd Lease) and how
// a key is written stay with each backend.
import type { Liveness } from '../types.js';

/** What a backend remembers of a lease in order to replace it. */
export interface LeaseRecord<I> {
  readonly ttlMs: number;
  readonly session: boolean;
  /** Registrations riding on the lease, by backend key. */
  readonly keys: ReadonlyMap<string, I>;
}

export class LeaseSource<L> {
  private session: Promise<L> | undefined;

  /** `grant` asks the server for a lease of `ttlMs`; `session` says whether it is the shared one. */
  constructor(
    private readonly sessionTtlMs: number,
    private readonly grant: (ttlMs: number, session: boolean) => Promise<L>,
  ) {}

  /** The lease a registration with `liveness` rides on. */
  forLiveness(liveness: Liveness): Promise<L> {
    return liveness.kind === 'session' ? this.sessionLease() : this.grant(liveness.ttlMs, false);
  }

  /**
   * The shared session lease. Concurrent callers share one grant (one lease per client, as a
   * ZooKeeper session would be); a failed grant is forgotten so the next caller tries again.
   */
  sessionLease(): Promise<L> {
    if (!this.session) {
      const pending = this.grant(this.sessionTtlMs, true);
      this.session = pending;
      pending.catch(() => {
        if (this.session === pending) this.session = undefined;
      });
    }
    return this.session;
  }

  /** The session lease is gone (lost on the server, or the client closed): the next use grants anew. */
  forgetSession(): void {
    this.session = undefined;
  }

  /**
   * Moves the registrations of a lost lease to a live lease of the same kind, writing each key again
   * through `put`, and returns that lease. When the lost lease was the session's, call forgetSession()
   * once first: retries of replace() then share the new session lease instead of granting more.
   */
  async replace<I>(
    old: LeaseRecord<I>,
    put: (lease: L, key: string, instance: I) => Promise<void>,
  ): Promise<L> {
    const fresh = old.session ? await this.sessionLease() : await this.grant(old.ttlMs, false);
    for (const [key, instance] of old.keys) await put(fresh, key, instance);
    return fresh;
  }
}
