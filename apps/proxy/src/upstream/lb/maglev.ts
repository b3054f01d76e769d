// Maglev: a lookup table of prime size filled from each host's permutation (offset, skip), weighted by
// letting heavier hosts claim entries more often. Host removal moves only ~1/N of the keys.
import type { Host } from '../host.js';
import { murmur3 } from './hash.js';
import type { LbFactory } from './types.js';

export function maglev(tableSize: number): LbFactory {
  return (hosts, random) => {
    const table: Host[] = [];
    if (hosts.length > 0) {
      const m = tableSize;
      const maxW = Math.max(...hosts.map((h) => h.weight));
      const state = hosts.map((h) => ({
        host: h,
        offset: murmur3(h.key, 0) % m,
        skip: (murmur3(h.key, 1) % (m - 1)) + 1,
        next: 0,
        target: 0,
      }));
      const filled = new Array<Host | undefined>(m).fill(undefined);
      let count = 0;
      while (count < m) {
        for (const s of state) {
          s.target += s.host.weight / maxW;
          if (s.target < 1) continue;
          s.target -= 1;
          let c = (s.offset + s.next * s.skip) % m;
          while (filled[c] !== undefined) {
            s.next++;
            c = (s.offset + s.next * s.skip) % m;
          }
          filled[c] = s.host;
          s.next++;
          count++;
          if (count >= m) break;
        }
      }
      for (const h of filled) table.push(h as Host);
    }
    return {
      choose: (ctx) => {
        if (table.length === 0) return undefined;
        const hash = ctx.hash ?? Math.floor(random() * 0xffffffff);
        return table[hash % table.length];
      },
    };
  };
}
