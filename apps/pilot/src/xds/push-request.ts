// What a push is about: everything (config changed) or only the endpoints of some hosts (registry
// changed). Requests merge while debouncing; a full request absorbs any endpoint-only one.

export interface PushRequest {
  /** Config changed: every type is recomputed for every proxy. */
  readonly full: boolean;
  /** Endpoint-only: hosts whose endpoints changed (only their ClusterLoadAssignments are pushed). */
  readonly edsHosts: ReadonlySet<string>;
  /** Why, for pilot_push_triggers (`config`, `endpoint`, `proxy`...). */
  readonly reasons: ReadonlySet<string>;
  /** When the first merged event happened (ms, monotonic), for convergence time. */
  readonly start: number;
}

/**
 * Push requests being merged: full absorbs endpoint-only, hosts and reasons are unions, the start is
 * the earliest. Mutable, because a first registry sync delivers one request per service and merging
 * 10,000 of them by copying sets would be quadratic. Used by the debouncer and the push queue alike.
 */
export class PushRequestMerger {
  /**
   * The only request added so far, handed back as is (nothing copied): connections pushed the same
   * request share its host set, which per-set memos (a subscription's affected clusters) key on.
   */
  private only: PushRequest | undefined;
  private empty = true;
  private full = false;
  private readonly hosts = new Set<string>();
  private readonly reasons = new Set<string>();
  private start = Number.POSITIVE_INFINITY;

  add(req: PushRequest): this {
    if (this.empty) {
      this.empty = false;
      this.only = req;
      return this;
    }
    if (this.only) {
      this.fold(this.only);
      this.only = undefined;
    }
    this.fold(req);
    return this;
  }

  request(): PushRequest {
    if (this.only) return this.only;
    return {
      full: this.full,
      edsHosts: this.full ? new Set() : new Set(this.hosts),
      reasons: new Set(this.reasons),
      start: this.start,
    };
  }

  private fold(req: PushRequest): void {
    this.full ||= req.full;
    // A full push recomputes everything: which hosts changed no longer matters.
    if (!this.full) for (const h of req.edsHosts) this.hosts.add(h);
    for (const r of req.reasons) this.reasons.add(r);
    this.start = Math.min(this.start, req.start);
  }
}

export function fullPush(reason: string, start: number): PushRequest {
  return { full: true, edsHosts: new Set(), reasons: new Set([reason]), start };
}

export function edsPush(hosts: Iterable<string>, start: number): PushRequest {
  return { full: false, edsHosts: new Set(hosts), reasons: new Set(['endpoint']), start };
}

/** A turn to answer a connection's owed requests; pushes nothing else. */
export function answerRequest(start: number): PushRequest {
  return { full: false, edsHosts: new Set(), reasons: new Set(), start };
}
