// The one entry point of translation: per resource type, (PushContext, ProxyInfo, what the proxy asked
// for) → Envoy resources. Sidecars subscribe by wildcard to LDS/CDS; proxyless gRPC clients name
// every resource. Pure: no I/O, clock or globals.
import type { ProxyInfo } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import { buildOutboundCluster, buildSidecarClusters, type Cluster } from './clusters.js';
import { buildEndpoints, type ClusterLoadAssignment } from './endpoints.js';
import { buildGrpcListener, buildGrpcRoute } from './grpc.js';
import { buildSidecarListeners, type Listener } from './listeners.js';
import { parseClusterName } from './names.js';
import type { RouteConfiguration } from './routes.js';
import { inScope } from './scope.js';
import { buildSidecarRoute } from './sidecar-routes.js';

export { clusterEndpoints, localityKey } from './endpoints.js';
export { configClassKey } from './inbound.js';
export { apiListenerName, clusterHost, clusterName, parseClusterName } from './names.js';
export { inScope, servicesInScope } from './scope.js';
export { sidecarRouteNames } from './sidecar-routes.js';
export type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration };

export interface Requested {
  readonly wildcard: boolean;
  readonly names: Iterable<string>;
}

function defined<T>(xs: (T | undefined)[]): T[] {
  return xs.filter((x): x is T => x !== undefined);
}

export function generateListeners(ctx: PushContext, proxy: ProxyInfo, req: Requested): Listener[] {
  if (proxy.type === 'grpc') return defined([...req.names].map((n) => buildGrpcListener(ctx, proxy, n)));
  const all = buildSidecarListeners(ctx, proxy);
  if (req.wildcard) return all;
  const names = new Set(req.names);
  return all.filter((l) => names.has(l.name ?? ''));
}

export function generateClusters(ctx: PushContext, proxy: ProxyInfo, req: Requested): Cluster[] {
  if (proxy.type === 'grpc' || !req.wildcard) {
    const forGrpc = proxy.type === 'grpc';
    return defined(
      [...req.names].map((n) => {
        const key = parseClusterName(n);
        return key && inScope(ctx, proxy, key.host) ? buildOutboundCluster(ctx, n, forGrpc) : undefined;
      }),
    );
  }
  return buildSidecarClusters(ctx, proxy);
}

export function generateRoutes(ctx: PushContext, proxy: ProxyInfo, req: Requested): RouteConfiguration[] {
  const build = proxy.type === 'grpc' ? buildGrpcRoute : buildSidecarRoute;
  return defined([...req.names].map((n) => build(ctx, proxy, n)));
}

export function generateEndpoints(
  ctx: PushContext,
  proxy: ProxyInfo,
  req: Requested,
): ClusterLoadAssignment[] {
  const names = [...req.names].filter((n) => {
    const key = parseClusterName(n);
    return key !== undefined && inScope(ctx, proxy, key.host);
  });
  return buildEndpoints(ctx, names, proxy);
}
