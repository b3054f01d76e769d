// RpcRoute (mesh.strait.io) to Envoy's dubbo_proxy RouteConfiguration, one-to-one as the kind's
// comment in @strait/config describes; services on a Dubbo port without an RpcRoute get a default
// route to their own cluster. Pure.
import type { RpcArgMatch, RpcMatch, RpcRoute, RpcRouteRule } from '@strait/config';
import { envoy } from '@strait/xds';
import type { ProxyInfo } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import type { Service, ServicePort } from '../model/service.js';
import { packDubboProxy } from './any.js';
import { durationMs } from './duration.js';
import { clusterName } from './names.js';
import { destinationCluster } from './routes.js';
import { weightedClusters } from './weights.js';

type D = typeof envoy.extensions.filters.network.dubbo_proxy.v3;
export type DubboRouteConfiguration =
  envoy.extensions.filters.network.dubbo_proxy.v3.RouteConfiguration.$Properties;
type DubboRoute = envoy.extensions.filters.network.dubbo_proxy.v3.Route.$Properties;
type ParamSpec =
  envoy.extensions.filters.network.dubbo_proxy.v3.MethodMatch.ParameterMatchSpecifier.$Properties;
const dubbo: D = envoy.extensions.filters.network.dubbo_proxy.v3;

function argSpec(a: RpcArgMatch): ParamSpec | undefined {
  if (a.exact !== undefined) return { exactMatch: a.exact };
  if (a.range) return { rangeMatch: { start: a.range.start, end: a.range.end } };
  return undefined; // prefix/regex have no ParameterMatchSpecifier (the validator warned)
}

function translateMatch(m: RpcMatch): envoy.extensions.filters.network.dubbo_proxy.v3.RouteMatch.$Properties {
  const out: envoy.extensions.filters.network.dubbo_proxy.v3.RouteMatch.$Properties = {};
  const name = m.method?.name;
  if (m.method) {
    const method: envoy.extensions.filters.network.dubbo_proxy.v3.MethodMatch.$Properties = {};
    if (name?.exact !== undefined) method.name = { exact: name.exact };
    else if (name?.prefix !== undefined) method.name = { prefix: name.prefix };
    else if (name?.regex !== undefined) method.name = { safeRegex: { regex: name.regex } };
    const params: Record<string, ParamSpec> = {};
    for (const a of m.method.args ?? []) {
      const spec = argSpec(a);
      if (spec) params[String(a.index)] = spec;
    }
    if (Object.keys(params).length > 0) method.paramsMatch = params;
    out.method = method;
  }
  // Envoy's dubbo router matches on the method first; "any method" must be spelled out.
  out.method ??= { name: { safeRegex: { regex: '.*' } } };
  if (m.attachments && m.attachments.length > 0) {
    out.headers = m.attachments.map((a) => {
      if (a.present !== undefined) return { name: a.name, presentMatch: true, invertMatch: !a.present };
      if (a.exact !== undefined) return { name: a.name, exactMatch: a.exact };
      if (a.prefix !== undefined) return { name: a.name, prefixMatch: a.prefix };
      return { name: a.name, safeRegexMatch: { regex: a.regex ?? '.*' } };
    });
  }
  return out;
}

function translateRule(ctx: PushContext, proxy: ProxyInfo, rule: RpcRouteRule, port: number): DubboRoute[] {
  const dests = weightedClusters(
    rule.route.map((d) => ({
      cluster: destinationCluster(ctx, undefined, d.destination, port, false),
      weight: d.weight,
    })),
  );
  if (dests.length === 0) return [];
  const route: envoy.extensions.filters.network.dubbo_proxy.v3.RouteAction.$Properties =
    dests.length === 1
      ? { cluster: dests[0]!.cluster }
      : {
          weightedClusters: {
            clusters: dests.map((d) => ({ name: d.cluster, weight: { value: d.weight } })),
          },
        };
  // Envoy's dubbo RouteAction has no timeout; strait-proxy reads one from
  // metadata_match.filter_metadata["strait.dubbo"].timeout (milliseconds).
  const timeoutMs = durationMs(rule.timeout);
  if (timeoutMs !== undefined && timeoutMs > 0) {
    route.metadataMatch = {
      filterMetadata: { 'strait.dubbo': { fields: { timeout: { numberValue: timeoutMs } } } },
    };
  }
  // sourceApps are decided here, per proxy, so the proxy never needs a runtime matcher for them.
  const matches = (rule.match && rule.match.length > 0 ? rule.match : [{}]).filter(
    (m: RpcMatch) => !m.sourceApps || m.sourceApps.length === 0 || m.sourceApps.includes(proxy.app),
  );
  return matches.map((m) => ({ match: translateMatch(m), route }));
}

export function dubboRouteConfig(
  ctx: PushContext,
  proxy: ProxyInfo,
  service: Service,
  port: ServicePort,
  rpcRoutes: readonly RpcRoute[],
): DubboRouteConfiguration {
  const rr = rpcRoutes.find((r) => r.spec.service.interface === service.hostname);
  const routes: DubboRoute[] = [];
  for (const rule of rr?.spec.routes ?? []) routes.push(...translateRule(ctx, proxy, rule, port.number));
  routes.push({
    match: { method: { name: { safeRegex: { regex: '.*' } } } },
    route: { cluster: clusterName({ direction: 'outbound', port: port.number, host: service.hostname }) },
  });
  return {
    name: `${service.hostname}:${port.number}`,
    interface: service.hostname,
    group: rr?.spec.service.group ?? '',
    version: rr?.spec.service.version ?? '',
    routes,
  };
}

/** The dubbo_proxy network filter for one outbound Dubbo port. */
export function dubboProxyFilter(
  statPrefix: string,
  routeConfig: DubboRouteConfiguration[],
): envoy.config.listener.v3.Filter.$Properties {
  return {
    name: 'envoy.filters.network.dubbo_proxy',
    typedConfig: packDubboProxy({
      statPrefix,
      protocolType: dubbo.ProtocolType.Dubbo,
      serializationType: dubbo.SerializationType.Hessian2,
      routeConfig,
      dubboFilters: [{ name: 'envoy.filters.dubbo.router' }],
    }),
  };
}
