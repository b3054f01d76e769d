// Least request: power of `choiceCount` random choices, the one with fewer active requests wins. With
// unequal weights the score is weight / (active + 1), Envoy's active_request_bias of 1.
import type { Host } from '../host.js';
import type { LbFactory } from './types.js';

export function leastRequest(choiceCount: number): LbFactory {
  return (hosts, random) => {
    const uniform = hosts.every((h) => h.weight === hosts[0]?.weight);
    return {
      choose: () => {
        if (hosts.length === 0) return undefined;
        let best: Host | undefined;
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < Math.max(1, choiceCount); i++) {
          const h = hosts[Math.floor(random() * hosts.length)]!;
          const score = uniform ? -h.activeRequests : h.weight / (h.activeRequests + 1);
          if (score > bestScore) {
            best = h;
            bestScore = score;
          }
        }
        return best;
      },
    };
  };
}
