// Weighted random.
import type { Host } from '../host.js';
import type { LbFactory } from './types.js';

export function weightedPick(hosts: readonly Host[], random: () => number): Host | undefined {
  const total = hosts.reduce((s, h) => s + h.weight, 0);
  let r = random() * total;
  for (const h of hosts) {
    r -= h.weight;
    if (r < 0) return h;
  }
  return hosts.at(-1);
}

export const randomLb: LbFactory = (hosts, random) => ({ choose: () => weightedPick(hosts, random) });
