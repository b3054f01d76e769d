import type { ClusterModel } from '../../model/cluster.js';
import { leastRequest } from './least-request.js';
import { maglev } from './maglev.js';
import { randomLb } from './random.js';
import { ringHash } from './ring-hash.js';
import { roundRobin } from './round-robin.js';
import type { LbFactory } from './types.js';

export type { LbContext, LbFactory, LoadBalancer } from './types.js';

/** The LB factory for a cluster's lb_policy. */
export function lbFactoryFor(c: ClusterModel): LbFactory {
  switch (c.lbPolicy) {
    case 'LEAST_REQUEST':
      return leastRequest(c.leastRequestChoiceCount);
    case 'RANDOM':
      return randomLb;
    case 'RING_HASH':
      return ringHash(c.ringHash.minRingSize, c.ringHash.maxRingSize);
    case 'MAGLEV':
      return maglev(c.maglevTableSize);
    default:
      return roundRobin;
  }
}
