// Istio route weights (VirtualService http/tcp/tls, RpcRoute) to Envoy's cluster choice. Since Istio
// 1.15 weights are relative: Envoy draws from the sum of the weights it is sent, so nothing here
// scales them to 100, and total_weight (deprecated in Envoy) is never set. Pure.

export interface ResolvedDestination {
  /** The Envoy cluster name, or undefined when the destination names nothing that exists. */
  readonly cluster: string | undefined;
  /** As configured; an omitted weight is 0 (a proto3 int32), except for a lone destination. */
  readonly weight: number | undefined;
}

export interface WeightedCluster {
  readonly cluster: string;
  readonly weight: number;
}

/**
 * The clusters a rule sends traffic to, in config order. A rule with one destination sends it all
 * traffic whatever its weight (Istio's rule); with several, zero-weight destinations are dropped, as
 * Istio does, so Envoy never carries a cluster that cannot be picked. Destinations that resolve to no
 * cluster are dropped too: the caller decides what an empty result means (a 503, the next rule).
 * One element means a plain `cluster`; several mean `weighted_clusters` with these weights.
 */
export function weightedClusters(dests: readonly ResolvedDestination[]): WeightedCluster[] {
  if (dests.length === 1) {
    const only = dests[0]!.cluster;
    return only === undefined ? [] : [{ cluster: only, weight: 1 }];
  }
  const out: WeightedCluster[] = [];
  for (const d of dests) {
    const weight = d.weight ?? 0;
    if (d.cluster !== undefined && weight > 0) out.push({ cluster: d.cluster, weight });
  }
  return out;
}
