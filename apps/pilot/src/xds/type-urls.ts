// The four resource types the pilot serves and the make-before-break order they are pushed in:
// clusters first (so routes never name a cluster the proxy lacks), then their endpoints (so new
// clusters warm), then listeners, then the routes listeners reference.
import { TypeUrl as T } from '@strait/xds';

export const CDS = T.Cluster;
export const EDS = T.ClusterLoadAssignment;
export const LDS = T.Listener;
export const RDS = T.RouteConfiguration;

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
