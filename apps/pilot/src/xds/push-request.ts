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

export function mergePushRequests(a: PushRequest | undefined, b: PushRequest): PushRequest {
  if (!a) return b;
  return {
    full: a.full || b.full,
    edsHosts: new Set([...a.edsHosts, ...b.edsHosts]),
    reasons: new Set([...a.reasons, ...b.reasons]),
    start: Math.min(a.start, b.start),
  };
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
