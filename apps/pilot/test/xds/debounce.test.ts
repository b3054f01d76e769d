import { describe, expect, it } from 'vitest';
import { Debouncer, type Timers } from '../../src/xds/debounce.js';
import { edsPush, fullPush, type PushRequest, PushRequestMerger } from '../../src/xds/push-request.js';

function fakeTimers() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let id = 0;
  const t: Timers & { advance(ms: number): void } = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.push({ at: now + ms, fn, id: ++id });
      return id;
    },
    clearTimeout: (h) => {
      timers = timers.filter((x) => x.id !== h);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = timers.filter((x) => x.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((x) => x !== next);
        now = next.at;
        next.fn();
      }
      now = until;
    },
  };
  return t;
}

describe('Debouncer', () => {
  it('merges a burst into one push after the quiet period', () => {
    const timers = fakeTimers();
    const fired: PushRequest[] = [];
    const d = new Debouncer(100, 10_000, (r) => fired.push(r), timers);
    d.add(edsPush(['a'], 0));
    timers.advance(50);
    d.add(edsPush(['b'], 50));
    timers.advance(99);
    expect(fired).toHaveLength(0);
    timers.advance(1);
    expect(fired).toHaveLength(1);
    expect([...fired[0]!.edsHosts].sort()).toEqual(['a', 'b']);
    expect(fired[0]!.full).toBe(false);
  });

  it('never delays longer than the max, and a full request absorbs endpoint ones', () => {
    const timers = fakeTimers();
    const fired: PushRequest[] = [];
    const d = new Debouncer(100, 300, (r) => fired.push(r), timers);
    for (let i = 0; i < 10; i++) {
      d.add(i === 3 ? fullPush('config', timers.now()) : edsPush([`h${i}`], timers.now()));
      timers.advance(50);
    }
    expect(fired.length).toBeGreaterThanOrEqual(1);
    expect(fired[0]!.full).toBe(true);
  });
});

describe('PushRequestMerger', () => {
  it('hands back a lone request as is, and merges several: full absorbs hosts, reasons unite, earliest start', () => {
    const one = edsPush(['a'], 5);
    expect(new PushRequestMerger().add(one).request()).toBe(one);
    const merged = new PushRequestMerger()
      .add(edsPush(['a'], 5))
      .add(edsPush(['b'], 3))
      .request();
    expect({ ...merged, edsHosts: [...merged.edsHosts].sort(), reasons: [...merged.reasons] }).toEqual({
      full: false,
      edsHosts: ['a', 'b'],
      reasons: ['endpoint'],
      start: 3,
    });
    const full = new PushRequestMerger()
      .add(edsPush(['a'], 5))
      .add(fullPush('config', 7))
      .request();
    expect(full.full).toBe(true);
    expect(full.edsHosts.size).toBe(0);
    expect([...full.reasons].sort()).toEqual(['config', 'endpoint']);
  });
});
