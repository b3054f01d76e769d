// Weighted round robin (smooth, as nginx): equal weights degrade to plain rotation; unequal weights
// interleave instead of bursting. Starts at a random host so proxies do not synchronise.
import type { Host } from '../host.js';
import type { LbFactory, LoadBalancer } from './types.js';

export const roundRobin: LbFactory = (hosts, random) => {
  const uniform = hosts.every((h) => h.weight === hosts[0]?.weight);
  if (uniform) {
    let next = Math.floor(random() * hosts.length);
    return {
      choose: () => (hosts.length ? hosts[next++ % hosts.length] : undefined),
    };
  }
  const current = hosts.map(() => 0);
  const total = hosts.reduce((s, h) => s + h.weight, 0);
  const lb: LoadBalancer = {
    choose: () => {
      let best = -1;
      for (let i = 0; i < hosts.length; i++) {
        current[i]! += hosts[i]!.weight;
        if (best < 0 || current[i]! > current[best]!) best = i;
      }
      if (best < 0) return undefined;
      current[best]! -= total;
      return hosts[best] as Host;
    },
  };
  return lb;
};
