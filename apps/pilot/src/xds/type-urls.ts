// The four resource types the pilot serves and the make-before-break order they are pushed in:
// clusters first (so routes never name a cluster the proxy lacks), then their endpoints (so new
// clusters warm), then listeners, then the routes listeners reference.
export const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

export type TypeUrl = typeof CDS | typeof EDS | typeof LDS | typeof RDS;

export const PUSH_ORDER: readonly TypeUrl[] = [CDS, EDS, LDS, RDS];

const SHORT: Record<TypeUrl, string> = { [CDS]: 'cds', [EDS]: 'eds', [LDS]: 'lds', [RDS]: 'rds' };

export function isServedType(url: string): url is TypeUrl {
  return url in SHORT;
}

/** Istio's short label values (`type="eds"`); unknown URLs keep their last path segment. */
export function shortType(url: string): string {
  return SHORT[url as TypeUrl] ?? url.slice(url.lastIndexOf('.') + 1).toLowerCase();
}
