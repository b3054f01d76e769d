import { describe, expect, it } from 'vitest';
import { Host } from '../../../src/upstream/host.js';
import { leastRequest } from '../../../src/upstream/lb/least-request.js';
import { maglev } from '../../../src/upstream/lb/maglev.js';
import { randomLb } from '../../../src/upstream/lb/random.js';
import { ringHash } from '../../../src/upstream/lb/ring-hash.js';
import { roundRobin } from '../../../src/upstream/lb/round-robin.js';
import type { LbFactory } from '../../../src/upstream/lb/types.js';

const loc = { region: '', zone: '', subZone: '' };
const hosts = (weights: number[]) =>
  weights.map((w, i) => new Host('10.0.0.1', 8000 + i, w, 'HEALTHY', 0, loc));

/** Deterministic PRNG (mulberry32) so distribution checks are stable. */
function prng(seed = 1): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function distribution(f: LbFactory, hs: Host[], n: number, hash?: (i: number) => number): number[] {
  const lb = f(hs, prng());
  const counts = hs.map(() => 0);
  for (let i = 0; i < n; i++) {
    const h = lb.choose(hash ? { hash: hash(i) } : {});
    counts[hs.indexOf(h!)]!++;
  }
  return counts;
}

describe('load balancers', () => {
  it('round robin rotates evenly and interleaves by weight', () => {
    expect(distribution(roundRobin, hosts([1, 1, 1]), 300)).toEqual([100, 100, 100]);
    expect(distribution(roundRobin, hosts([3, 1]), 400)).toEqual([300, 100]);
    const lb = roundRobin(hosts([2, 1]), prng());
    const seq = Array.from({ length: 6 }, () => lb.choose({})!.port);
    expect(seq).toEqual([8000, 8001, 8000, 8000, 8001, 8000]);
  });

  it('random follows weights', () => {
    const [a, b] = distribution(randomLb, hosts([3, 1]), 4000);
    expect(a! / 4000).toBeGreaterThan(0.7);
    expect(b! / 4000).toBeGreaterThan(0.2);
  });

  it('least request prefers the host with fewer active requests', () => {
    const hs = hosts([1, 1, 1]);
    hs[0]!.activeRequests = 10;
    hs[1]!.activeRequests = 10;
    const counts = distribution(leastRequest(2), hs, 1000);
    expect(counts[2]).toBeGreaterThan(500);
    expect(distribution(leastRequest(2), hosts([1]), 10)).toEqual([10]);
  });

  it('ring hash is sticky per key, spreads keys, and moves few keys when a host goes', () => {
    const hs = hosts([1, 1, 1, 1]);
    const f = ringHash(1024, 8 * 1024 * 1024);
    const lb = f(hs, prng());
    const key = (i: number) => Math.imul(i + 1, 2654435761) >>> 0;
    expect(lb.choose({ hash: key(7) })).toBe(lb.choose({ hash: key(7) }));
    const counts = distribution(f, hs, 4000, key);
    for (const c of counts) expect(c).toBeGreaterThan(600);
    const lb3 = f(hs.slice(0, 3), prng());
    let moved = 0;
    for (let i = 0; i < 2000; i++) {
      const before = lb.choose({ hash: key(i) })!;
      if (before !== hs[3] && lb3.choose({ hash: key(i) }) !== before) moved++;
    }
    // Mod-N hashing would move ~75% of them; the ring rescales a little (as Envoy's does).
    expect(moved / 2000).toBeLessThan(0.2);
  });

  it('maglev is sticky, weighted, and disrupts little on removal', () => {
    const hs = hosts([1, 1, 2]);
    const f = maglev(65537);
    const key = (i: number) => Math.imul(i + 1, 2654435761) >>> 0;
    const counts = distribution(f, hs, 8000, key);
    expect(counts[2]! / 8000).toBeGreaterThan(0.4);
    expect(counts[0]! / 8000).toBeGreaterThan(0.18);
    const lb = f(hs, prng());
    const lb2 = f(hs.slice(0, 2), prng());
    let moved = 0;
    for (let i = 0; i < 4000; i++) {
      const before = lb.choose({ hash: key(i) })!;
      if (before !== hs[2] && lb2.choose({ hash: key(i) }) !== before) moved++;
    }
    expect(moved / 4000).toBeLessThan(0.1);
  });
});
