// The protocol's worked examples of legacy and explicit wildcard, step by step, on the subscription
// model both server states share.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, XdsStreamError, XdsStreamErrorCode } from '../../src/stream/index.js';
import { Subscription } from '../../src/stream/subscriptions.js';
import { CDS, EDS, LDS } from './helpers.js';

function view(s: Subscription) {
  return s.view();
}

describe('subscription: SotW wildcard sequence', () => {
  it('unset names, then "*"+A, then A, then unset again: wildcard, both, A only, nothing', () => {
    const s = new Subscription(LDS, true, DEFAULT_LIMITS);
    s.replace([]);
    expect(view(s)).toEqual({ wildcard: true, names: [] });
    s.replace(['*', 'A']);
    expect(view(s)).toEqual({ wildcard: true, names: ['A'] });
    s.replace(['A']);
    expect(view(s)).toEqual({ wildcard: false, names: ['A'] });
    s.replace([]);
    expect(view(s)).toEqual({ wildcard: false, names: [] });
  });

  it('repeated empty lists keep the legacy wildcard while no name was ever sent', () => {
    const s = new Subscription(CDS, true, DEFAULT_LIMITS);
    s.replace([]);
    const change = s.replace([]);
    expect(change).toEqual({ added: [], removed: [], wildcardBefore: true, wildcard: true });
  });

  it('an explicit "*" alone is a wildcard, and an empty list after it unsubscribes', () => {
    const s = new Subscription(CDS, true, DEFAULT_LIMITS);
    s.replace(['*']);
    expect(s.wildcard).toBe(true);
    s.replace([]);
    expect(s.wildcard).toBe(false);
  });
});

describe('subscription: Delta wildcard sequence', () => {
  it('unset, then +A, then -"*", then -A: wildcard, wildcard+A, A only, nothing (not wildcard)', () => {
    const s = new Subscription(LDS, true, DEFAULT_LIMITS);
    s.apply([], []);
    expect(view(s)).toEqual({ wildcard: true, names: [] });
    s.apply(['A'], []);
    expect(view(s)).toEqual({ wildcard: true, names: ['A'] });
    s.apply([], ['*']);
    expect(view(s)).toEqual({ wildcard: false, names: ['A'] });
    s.apply([], ['A']);
    expect(view(s)).toEqual({ wildcard: false, names: [] });
    s.apply([], []);
    expect(view(s)).toEqual({ wildcard: false, names: [] });
  });

  it('a first request that only unsubscribes is not a legacy wildcard', () => {
    const s = new Subscription(CDS, true, DEFAULT_LIMITS);
    s.apply([], ['x']);
    expect(s.wildcard).toBe(false);
  });

  it('reports added and removed names, sorted', () => {
    const s = new Subscription(EDS, false, DEFAULT_LIMITS);
    s.apply(['b', 'a'], []);
    expect(s.apply(['c'], ['a'])).toEqual({
      added: ['c'],
      removed: ['a'],
      wildcardBefore: false,
      wildcard: false,
    });
  });
});

describe('subscription: bounds', () => {
  it('stops at the limit with a typed error and leaves the set as it was', () => {
    const s = new Subscription(EDS, false, { ...DEFAULT_LIMITS, maxResourceNamesPerType: 3 });
    s.apply(['a'], []);
    const huge = Array.from({ length: 1_000_000 }, (_, i) => `n${i}`);
    const result = s.replace(huge);
    expect(result).toBeInstanceOf(XdsStreamError);
    expect((result as XdsStreamError).code).toBe(XdsStreamErrorCode.TooManyResourceNames);
    expect(view(s)).toEqual({ wildcard: false, names: ['a'] });
  });

  it('counts names, not repetitions of one name', () => {
    const s = new Subscription(EDS, false, { ...DEFAULT_LIMITS, maxResourceNamesPerType: 1 });
    expect(s.replace(['a', 'a', 'a'])).not.toBeInstanceOf(XdsStreamError);
  });
});
