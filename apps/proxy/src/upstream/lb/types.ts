import type { Host } from '../host.js';

export interface LbContext {
  /** From the route's hash policy; undefined = no affinity. */
  hash?: number;
}

/** A load balancer over one fixed list of available hosts; rebuilt when the list changes. */
export interface LoadBalancer {
  choose(ctx: LbContext): Host | undefined;
}

export type LbFactory = (hosts: readonly Host[], random: () => number) => LoadBalancer;
