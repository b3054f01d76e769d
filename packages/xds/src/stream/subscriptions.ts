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

export class Subscription {
  private readonly explicit = new Set<string>();
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
    return this.explicit.size;
  }

  has(name: string): boolean {
    return this.explicit.has(name);
  }

  /** Whether a resource of this name belongs to the client's interest: explicitly or via wildcard. */
  interestedIn(name: string, inWildcardSet: boolean): boolean {
    return this.explicit.has(name) || (this.wildcardOn && inWildcardSet);
  }

  names(): IterableIterator<string> {
    return this.explicit.values();
  }

  view(): SubscriptionView {
    return { wildcard: this.wildcardOn, names: [...this.explicit].sort() };
  }

  /**
   * SotW: every request carries the complete list. An empty list means wildcard only while the client
   * has never named a resource (legacy); after that it means "nothing".
   */
  replace(list: readonly string[]): SubscriptionChange | XdsStreamError {
    const next = new Set<string>();
    let wildcard = false;
    for (const name of list) {
      if (this.wildcardCapable && name === WILDCARD) {
        wildcard = true;
        continue;
      }
      const bad = checkResourceName(name, this.limits);
      if (bad) return bad;
      next.add(name);
      if (next.size > this.limits.maxResourceNamesPerType)
        return tooManyNames(this.typeUrl, next.size, this.limits);
    }
    if (list.length === 0) {
      wildcard = this.wildcardCapable && !this.explicitSeen;
    } else {
      this.explicitSeen = true;
    }
    this.seenRequest = true;
    return this.commit(next, wildcard);
  }

  /**
   * Delta: names are added and removed. A first request that subscribes and unsubscribes nothing is a
   * legacy wildcard; a later explicit name keeps that wildcard (it only ends by unsubscribing "*").
   */
  apply(subscribe: readonly string[], unsubscribe: readonly string[]): SubscriptionChange | XdsStreamError {
    const next = new Set(this.explicit);
    let wildcard = this.wildcardOn;
    if (!this.seenRequest && subscribe.length === 0 && unsubscribe.length === 0 && this.wildcardCapable) {
      wildcard = true;
    }
    for (const name of unsubscribe) {
      if (this.wildcardCapable && name === WILDCARD) wildcard = false;
      // Phantom unsubscriptions (names never subscribed) are ignored, as the protocol asks.
      else next.delete(name);
    }
    for (const name of subscribe) {
      if (this.wildcardCapable && name === WILDCARD) {
        wildcard = true;
        continue;
      }
      const bad = checkResourceName(name, this.limits);
      if (bad) return bad;
      next.add(name);
      if (next.size > this.limits.maxResourceNamesPerType)
        return tooManyNames(this.typeUrl, next.size, this.limits);
    }
    if (subscribe.length > 0) this.explicitSeen = true;
    this.seenRequest = true;
    return this.commit(next, wildcard);
  }

  private commit(next: Set<string>, wildcard: boolean): SubscriptionChange {
    const added: string[] = [];
    const removed: string[] = [];
    for (const name of next) if (!this.explicit.has(name)) added.push(name);
    for (const name of this.explicit) if (!next.has(name)) removed.push(name);
    const wildcardBefore = this.wildcardOn;
    this.explicit.clear();
    for (const name of next) this.explicit.add(name);
    this.wildcardOn = wildcard;
    return { added: added.sort(), removed: removed.sort(), wildcardBefore, wildcard };
  }
}
