// Load balancer registry: lb_policy name -> factory builder from the cluster model. setup() registers
// the built-in policies; a new policy is one module and one registerLb call.
import type { ClusterModel, LbPolicyName } from '../../model/cluster.js';
import { leastRequest } from './least-request.js';
import { maglev } from './maglev.js';
import { randomLb } from './random.js';
import { ringHash } from './ring-hash.js';
import { roundRobin } from './round-robin.js';
import type { LbFactory } from './types.js';

export type { LbContext, LbFactory, LoadBalancer } from './types.js';

const policies = new Map<LbPolicyName, (c: ClusterModel) => LbFactory>();

export function registerLb(name: LbPolicyName, build: (c: ClusterModel) => LbFactory): void {
  policies.set(name, build);
}

export function setup(): void {
  registerLb('ROUND_ROBIN', () => roundRobin);
  registerLb('LEAST_REQUEST', (c) => leastRequest(c.leastRequestChoiceCount));
  registerLb('RANDOM', () => randomLb);
  registerLb('RING_HASH', (c) => ringHash(c.ringHash.minRingSize, c.ringHash.maxRingSize));
  registerLb('MAGLEV', (c) => maglev(c.maglevTableSize));
}

/** The LB factory for a cluster's lb_policy (round robin when none is registered, e.g. CLUSTER_PROVIDED). */
export function lbFactoryFor(c: ClusterModel): LbFactory {
  if (policies.size === 0) setup();
  return policies.get(c.lbPolicy)?.(c) ?? roundRobin;
}
