import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/xds/backoff.js';

describe('Backoff', () => {
  it('grows exponentially under full jitter and is capped', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999 });
    expect([1, 2, 3, 4, 5, 6].map(() => b.next())).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('never goes below a tenth of the base (no tight reconnect loop) and resets after success', () => {
    const b = new Backoff({ baseMs: 500, maxMs: 30_000, random: () => 0 });
    expect(b.next()).toBe(50);
    b.next();
    expect(b.attempts).toBe(2);
    b.reset();
    expect(b.attempts).toBe(0);
  });

  it('spreads retries (jitter) instead of lockstep', () => {
    let i = 0;
    // A deterministic stand-in for Math.random: evenly spread fractions.
    const random = () => (++i * 0.618_033_988_7) % 1;
    const delays = new Set(Array.from({ length: 20 }, () => new Backoff({ baseMs: 1000, random }).next()));
    expect(delays.size).toBeGreaterThan(15);
  });
});
