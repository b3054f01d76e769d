import { afterEach, describe, expect, it, vi } from 'vitest';
import { WarmingSet } from '../../src/xds/warming.js';

describe('WarmingSet', () => {
  afterEach(() => vi.useRealTimers());

  it('activates at once without dependencies, and once every dependency is satisfied otherwise', () => {
    const activated: string[] = [];
    const w = new WarmingSet<number>({ timeoutMs: 0, activate: (k) => activated.push(k) });
    w.add('a', 1, []);
    w.add('b', 2, ['eds:b', 'cluster:x']);
    expect(activated).toEqual(['a']);
    w.satisfy('eds:b');
    expect(activated).toEqual(['a']);
    w.satisfy('cluster:x');
    expect(activated).toEqual(['a', 'b']);
    expect(w.size).toBe(0);
  });

  it('activates on the initial fetch timeout, reporting what was missing, and keeps the first deadline', () => {
    vi.useFakeTimers();
    const activated: [string, number, boolean][] = [];
    const missing: string[][] = [];
    const w = new WarmingSet<number>({
      timeoutMs: 1000,
      activate: (k, v, t) => activated.push([k, v, t]),
      onTimeout: (_k, m) => missing.push(m),
    });
    w.add('c', 1, ['eds:c']);
    vi.advanceTimersByTime(600);
    w.add('c', 2, ['eds:c2']); // an update while warming: new value, same deadline
    vi.advanceTimersByTime(500);
    expect(activated).toEqual([['c', 2, true]]);
    expect(missing).toEqual([['eds:c2']]);
  });

  it('forgets a deleted waiter and bounds its size by activating the oldest early', () => {
    const activated: string[] = [];
    const w = new WarmingSet<number>({ timeoutMs: 0, maxEntries: 2, activate: (k) => activated.push(k) });
    w.add('a', 1, ['d']);
    w.delete('a');
    w.satisfy('d');
    expect(activated).toEqual([]);
    w.add('x', 1, ['d']);
    w.add('y', 1, ['d']);
    w.add('z', 1, ['d']);
    expect(activated).toEqual(['x']);
    expect(w.size).toBe(2);
  });
});
