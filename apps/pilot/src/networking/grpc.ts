// Proxyless gRPC (node metadata GENERATOR=grpc, as Istio serves it): API listeners named after the
// dial target `host:port` (HCM with RDS via ADS), a RouteConfiguration of the same name, EDS clusters.
// Shapes are the ones @grpc/grpc-js-xds validates and accepts. Pure.
import { envoy } from '@strait/xds';
import type { ProxyInfo } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import { httpFilters, packHcm } from './any.js';
import type { Listener } from './listeners.js';
import { parseHostPort } from './names.js';
import { buildRoutesFor, type RouteConfiguration } from './routes.js';
import { inScope } from './scope.js';

const ADS_SOURCE = { ads: {}, resourceApiVersion: envoy.config.core.v3.ApiVersion.V3 };

function target(ctx: PushContext, proxy: ProxyInfo, name: string) {
  const hp = parseHostPort(name);
  if (!hp || !inScope(ctx, proxy, hp.host)) return undefined;
  const service = ctx.services.get(hp.host)!;
  const port = service.ports.find((p) => p.number === hp.port);
  return port ? { service, port } : undefined;
}

export function buildGrpcListener(ctx: PushContext, proxy: ProxyInfo, name: string): Listener | undefined {
  if (!target(ctx, proxy, name)) return undefined;
  return {
    name,
    apiListener: {
      apiListener: packHcm({
        statPrefix: name,
        rds: { configSource: ADS_SOURCE, routeConfigName: name },
        httpFilters: httpFilters({ cors: false }),
      }),
    },
  };
}

export function buildGrpcRoute(
  ctx: PushContext,
  proxy: ProxyInfo,
  name: string,
): RouteConfiguration | undefined {
  const t = target(ctx, proxy, name);
  if (!t) return undefined;
  return {
    name,
    virtualHosts: [
      {
        name,
        domains: [name, t.service.hostname],
        routes: buildRoutesFor(ctx, t.service, t.port, {
          forGrpc: true,
          proxyLabels: proxy.labels,
          proxyNamespace: proxy.namespace,
        }),
      },
    ],
  };
}
