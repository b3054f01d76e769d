// What a client is subscribed to, for one type, as the server understands it. Both SotW (a full list
// per request) and Delta (subscribe/unsubscribe lists) reduce to this: a wildcard flag and a bounded
// set of explicit names.
import type { XdsStreamError } from './errors.js';
import { checkResourceName, type StreamLimits, tooManyNames, WILDCARD } from './types.js';

export interface SubscriptionChange {
  /** Explicit names that were not subscribed before this request. */
  readonly added: readonly string[];
  /** Explicit names that were subscribed before this request and are not any more. */
  readonly removed: readonly string[];
  readonly wildcardBefore: boolean;
  readonly wildcard: boolean;
}

export function subscriptionChanged(change: SubscriptionChange): boolean {
  return change.added.length > 0 || change.removed.length > 0 || change.wildcard !== change.wildcardBefore;
}

export const NO_CHANGE: SubscriptionChange = {
  added: [],
  removed: [],
  wildcardBefore: false,
  wildcard: false,
};

export interface SubscriptionView {
  readonly wildcard: boolean;
  readonly names: readonly string[];
}

/**
 * An immutable set of names, shareable between subscriptions (copy on write). `list` holds the same
 * names in insertion order: it is what a repeated SotW request is compared against.
 */
interface NameSet {
  readonly set: ReadonlySet<string>;
  readonly list: readonly string[];
}

const EMPTY: NameSet = { set: new Set(), list: [] };

// Subscriptions with equal name lists share one NameSet: a thousand sidecars subscribed to the same
// 10,000 clusters hold one set and one copy of each name instead of a thousand. Weakly held, so a set
// no subscription uses any more is collected; the key count is bounded.
const POOL_LIMIT = 4096;
const pool = new Map<string, WeakRef<NameSet>>();
const poolCounters = { hits: 0, misses: 0 };

/** Shared-subscription pool counters (for metrics and tests). */
export function subscriptionPoolStats(): { hits: number; misses: number; keys: number } {
  return { ...poolCounters, keys: pool.size };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const poolKey = (list: readonly string[]): string =>
  `${list.length}|${list[0]}|${list[list.length >> 1]}|${list[list.length - 1]}`;

/** The live pooled NameSet whose list equals `list` exactly, if any. */
function findPooled(list: readonly string[]): NameSet | undefined {
  if (list.length < 64) return undefined;
  const found = pool.get(poolKey(list))?.deref();
  return found && sameList(found.list, list) ? found : undefined;
}

/** The pooled NameSet equal to `list` (distinct names, in order), creating it when new. */
function pooled(list: string[]): NameSet {
  if (list.length < 64) return { set: new Set(list), list };
  const key = poolKey(list);
  const found = findPooled(list);
  if (found) {
    poolCounters.hits++;
    return found;
  }
  poolCounters.misses++;
  const made: NameSet = { set: new Set(list), list };
  if (pool.size >= POOL_LIMIT) {
    for (const [k, ref] of pool) if (ref.deref() === undefined) pool.delete(k);
    if (pool.size >= POOL_LIMIT) pool.delete(pool.keys().next().value as string);
  }
  pool.set(key, new WeakRef(made));
  return made;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A change whose name lists are sorted on first read (a first request can add 10,000 names). */
function change(
  added: string[],
  removed: string[],
  wildcardBefore: boolean,
  wildcard: boolean,
): SubscriptionChange {
  let addedSorted = added.length < 2;
  let removedSorted = removed.length < 2;
  return {
    get added(): readonly string[] {
      if (!addedSorted) {
        added.sort(byString);
        addedSorted = true;
      }
      return added;
    },
    get removed(): readonly string[] {
      if (!removedSorted) {
        removed.sort(byString);
        removedSorted = true;
      }
      return removed;
    },
    wildcardBefore,
    wildcard,
  };
}

export class Subscription {
  private explicit: NameSet = EMPTY;
  private wildcardOn = false;
  // The legacy rule ("no names ever sent means wildcard") holds until the first explicit name.
  private explicitSeen = false;
  private seenRequest = false;

  constructor(
    private readonly typeUrl: string,
    /** Whether "*" and the legacy empty list mean wildcard for this type (LDS and CDS). */
    private readonly wildcardCapable: boolean,
    private readonly limits: StreamLimits,
  ) {}

  get wildcard(): boolean {
    return this.wildcardOn;
  }

  get size(): number {
    return this.explicit.set.size;
  }

  has(name: string): boolean {
    return this.explicit.set.has(name);
  }

  /** Whether a resource of this name belongs to the client's interest: explicitly or via wildcard. */
  interestedIn(name: string, inWildcardSet: boolean): boolean {
    return this.explicit.set.has(name) || (this.wildcardOn && inWildcardSet);
  }

  names(): IterableIterator<string> {
    return this.explicit.set.values();
  }

  /**
   * The explicit names as a set: never copied, the same object while the subscription is unchanged,
   * and shared by streams with equal subscriptions, so callers may memoize work per set.
   */
  nameSet(): ReadonlySet<string> {
    return this.explicit.set;
  }

  view(): SubscriptionView {
    return { wildcard: this.wildcardOn, names: [...this.explicit.set].sort() };
  }

  /**
   * SotW: every request carries the complete list. An empty list means wildcard only while the client
   * has never named a resource (legacy); after that it means "nothing".
   */
  replace(list: readonly string[]): SubscriptionChange | XdsStreamError {
    // The usual request repeats the last list (an ACK re-sends every name): nothing to rebuild.
    if (list.length > 0 && this.explicitSeen && !this.wildcardOn && sameList(this.explicit.list, list)) {
      this.seenRequest = true;
      return change([], [], false, false);
    }
    // A list another stream already sent (pooled lists hold distinct, checked names and no "*").
    const shared = findPooled(list);
    if (shared) {
      poolCounters.hits++;
      this.explicitSeen = true;
      this.seenRequest = true;
      return this.commit(shared, false);
    }
    const next: string[] = [];
    const seen = new Set<string>();
    let wildcard = false;
    for (const name of list) {
      if (this.wildcardCapable && name === WILDCARD) {
        wildcard = true;
        continue;
      }
      if (seen.has(name)) continue;
      // Names already held were checked when they arrived.
      if (!this.explicit.set.has(name)) {
        const bad = checkResourceName(name, this.limits);
        if (bad) return bad;
      }
      seen.add(name);
      next.push(name);
      if (next.length > this.limits.maxResourceNamesPerType)
        return tooManyNames(this.typeUrl, next.length, this.limits);
    }
    if (list.length === 0) {
      wildcard = this.wildcardCapable && !this.explicitSeen;
    } else {
      this.explicitSeen = true;
    }
    this.seenRequest = true;
    return this.commit(pooled(next), wildcard);
  }

  /**
   * Delta: names are added and removed. A first request that subscribes and unsubscribes nothing is a
   * legacy wildcard; a later explicit name keeps that wildcard (it only ends by unsubscribing "*").
   */
  apply(subscribe: readonly string[], unsubscribe: readonly string[]): SubscriptionChange | XdsStreamError {
    // An ACK carries no names: nothing to copy or compare.
    if (this.seenRequest && subscribe.length === 0 && unsubscribe.length === 0)
      return change([], [], this.wildcardOn, this.wildcardOn);
    const current = this.explicit.set;
    const nextSet = new Set(current);
    let wildcard = this.wildcardOn;
    if (!this.seenRequest && subscribe.length === 0 && unsubscribe.length === 0 && this.wildcardCapable) {
      wildcard = true;
    }
    for (const name of unsubscribe) {
      if (this.wildcardCapable && name === WILDCARD) wildcard = false;
      // Phantom unsubscriptions (names never subscribed) are ignored, as the protocol asks.
      else nextSet.delete(name);
    }
    for (const name of subscribe) {
      if (this.wildcardCapable && name === WILDCARD) {
        wildcard = true;
        continue;
      }
      if (nextSet.has(name)) continue;
      const bad = checkResourceName(name, this.limits);
      if (bad) return bad;
      nextSet.add(name);
      if (nextSet.size > this.limits.maxResourceNamesPerType)
        return tooManyNames(this.typeUrl, nextSet.size, this.limits);
    }
    if (subscribe.length > 0) this.explicitSeen = true;
    this.seenRequest = true;
    // A first subscription of many names is pooled like a SotW list; later edits stay private.
    const next = current.size === 0 ? pooled([...nextSet]) : { set: nextSet, list: [...nextSet] };
    return this.commit(next, wildcard);
  }

  private commit(next: NameSet, wildcard: boolean): SubscriptionChange {
    const before = this.explicit.set;
    const added: string[] = [];
    const removed: string[] = [];
    for (const name of next.set) if (!before.has(name)) added.push(name);
    for (const name of before) if (!next.set.has(name)) removed.push(name);
    const wildcardBefore = this.wildcardOn;
    this.explicit = next;
    this.wildcardOn = wildcard;
    return change(added, removed, wildcardBefore, wildcard);
  }
}
