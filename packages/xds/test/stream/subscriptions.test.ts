// The protocol's worked examples of legacy and explicit wildcard, step by step, on the subscription
// model both server states share.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, XdsStreamError, XdsStreamErrorCode } from '../../src/stream/index.js';
import { Subscription, subscriptionChanged, subscriptionPoolStats } from '../../src/stream/subscriptions.js';
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

describe('subscription: shared name sets', () => {
  const names = Array.from({ length: 500 }, (_, i) => `outbound|80||svc-${i}.example`);

  it('streams sending equal lists share one set, and an edit on one stays private to it', () => {
    const before = subscriptionPoolStats();
    const a = new Subscription(EDS, false, DEFAULT_LIMITS);
    const b = new Subscription(EDS, false, DEFAULT_LIMITS);
    a.replace(names);
    // A separately decoded copy of the same list, as a second proxy's request would be.
    b.replace(names.map((n) => `${n}`));
    const after = subscriptionPoolStats();
    expect(after.hits - before.hits).toBe(1);
    const change = b.replace([...names.slice(1), 'outbound|80||new.example']);
    expect(change).toMatchObject({ added: ['outbound|80||new.example'], removed: [names[0]] });
    expect(a.has(names[0]!)).toBe(true);
    expect(a.has('outbound|80||new.example')).toBe(false);
    expect(b.has(names[0]!)).toBe(false);
    expect(a.size).toBe(500);
    expect(b.size).toBe(500);
  });

  it('a repeated list (a SotW ACK) is no change, and a reordered one is no change either', () => {
    const s = new Subscription(EDS, false, DEFAULT_LIMITS);
    s.replace(names);
    expect(subscriptionChanged(s.replace(names) as never)).toBe(false);
    expect(subscriptionChanged(s.replace([...names].reverse()) as never)).toBe(false);
    expect(s.size).toBe(500);
  });

  it('Delta: a first subscription is shared, later edits copy', () => {
    const a = new Subscription(EDS, false, DEFAULT_LIMITS);
    const b = new Subscription(EDS, false, DEFAULT_LIMITS);
    a.apply(names, []);
    b.apply([...names], []);
    b.apply([], [names[1]!]);
    expect(a.has(names[1]!)).toBe(true);
    expect(b.has(names[1]!)).toBe(false);
    // An ACK (no names) changes nothing.
    expect(subscriptionChanged(b.apply([], []) as never)).toBe(false);
    expect(b.size).toBe(499);
  });
});
