// envoy.filters.network.dubbo_proxy: DubboProxy -> DubboProxyConfig. Pure: every problem is reported
// with its field path (the xDS client turns them into a NACK), nothing is thrown.
//
// Strait additions, kept outside Envoy's fields' meaning:
// - RouteConfiguration.interface "*" matches every service (Envoy's own wildcard in later versions).
// - A route timeout, which Envoy's dubbo RouteAction cannot express: RouteAction.metadata_match
//   .filter_metadata["strait.dubbo"].timeout ("500ms", "1.5s", or a number of milliseconds).
import { envoy } from '@strait/xds';
import type { IssueList } from '../../errors.js';
import { structToJson } from '../../model/bootstrap.js';
import { checkWeightSum, type StringMatch, translateStringMatcher } from '../../model/common.js';
import { type HeaderMatchModel, translateHeaderMatcher } from '../../model/route.js';

export const DUBBO_PROXY_NAME = 'envoy.filters.network.dubbo_proxy';
export const DUBBO_PROXY_TYPE = 'envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy';
export const DUBBO_ROUTER_NAME = 'envoy.filters.dubbo.router';
/** filter_metadata key carrying Strait's per-route settings (timeout). */
export const STRAIT_DUBBO_METADATA = 'strait.dubbo';
/** Java methods take at most 255 parameters: a larger index can never match. */
export const MAX_PARAM_INDEX = 254;

type DubboProxy = envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy.$Properties;
type RouteConfiguration = envoy.extensions.filters.network.dubbo_proxy.v3.RouteConfiguration.$Properties;
type Route = envoy.extensions.filters.network.dubbo_proxy.v3.Route.$Properties;
type RouteAction = envoy.extensions.filters.network.dubbo_proxy.v3.RouteAction.$Properties;
type MethodMatch = envoy.extensions.filters.network.dubbo_proxy.v3.MethodMatch.$Properties;

export type ParamMatchModel =
  | { index: number; kind: 'exact'; value: string }
  /** Envoy's Int64Range: start inclusive, end exclusive. */
  | { index: number; kind: 'range'; start: number; end: number };

export interface DubboRouteModel {
  /** undefined = any method. */
  method?: StringMatch;
  params: ParamMatchModel[];
  /** Matched against the request's attachments (Envoy exposes them as headers). */
  headers: HeaderMatchModel[];
  clusters: { name: string; weight: number }[];
  totalWeight: number;
  /** Strait's route timeout; undefined = the request's `timeout` attachment, else the filter default. */
  timeoutMs?: number;
}

export interface DubboRouteConfigModel {
  name: string;
  /** The Dubbo interface (service path); "*" matches any. */
  interface: string;
  /** Empty = any group / any version. */
  group: string;
  version: string;
  routes: DubboRouteModel[];
}

export interface DubboProxyConfig {
  statPrefix: string;
  routeConfigs: DubboRouteConfigModel[];
}

declare module '../registry.js' {
  interface NetworkFilterConfigs {
    dubbo_proxy: DubboProxyConfig;
  }
}

const V3 = envoy.extensions.filters.network.dubbo_proxy.v3;

export function translateDubboProxy(d: DubboProxy, issues: IssueList, path: string): DubboProxyConfig {
  if (!d.statPrefix) issues.add('PROXY_ERR_MISSING_FIELD', `${path}.stat_prefix`, 'stat_prefix is required');
  if ((d.protocolType ?? V3.ProtocolType.Dubbo) !== V3.ProtocolType.Dubbo)
    issues.add(
      'PROXY_ERR_UNSUPPORTED',
      `${path}.protocol_type`,
      `protocol_type ${d.protocolType} is not supported (only Dubbo)`,
    );
  if ((d.serializationType ?? V3.SerializationType.Hessian2) !== V3.SerializationType.Hessian2)
    issues.add(
      'PROXY_ERR_UNSUPPORTED',
      `${path}.serialization_type`,
      `serialization_type ${d.serializationType} is not supported (only Hessian2)`,
    );
  if (d.drds)
    issues.add(
      'PROXY_ERR_UNSUPPORTED',
      `${path}.drds`,
      'dynamic route discovery (drds) is not supported yet',
    );
  (d.dubboFilters ?? []).forEach((f, i) => {
    if (f.name !== DUBBO_ROUTER_NAME)
      issues.add(
        'PROXY_ERR_UNSUPPORTED',
        `${path}.dubbo_filters[${i}]`,
        `dubbo filter "${f.name ?? ''}" is not supported (only ${DUBBO_ROUTER_NAME})`,
      );
  });
  const multiple = d.multipleRouteConfig;
  if (multiple && (d.routeConfig ?? []).length > 0)
    issues.add(
      'PROXY_ERR_INVALID_VALUE',
      path,
      'route_config and multiple_route_config are exclusive: set only one',
    );
  const [list, listPath] = multiple
    ? [multiple.routeConfig ?? [], `${path}.multiple_route_config.route_config`]
    : [d.routeConfig ?? [], `${path}.route_config`];
  if (list.length === 0 && !d.drds)
    issues.add('PROXY_ERR_MISSING_FIELD', listPath, 'at least one route configuration is required');
  const routeConfigs = list.map((rc, i) => translateRouteConfig(rc, issues, `${listPath}[${i}]`));
  return { statPrefix: d.statPrefix ?? '', routeConfigs };
}

function translateRouteConfig(
  rc: RouteConfiguration,
  issues: IssueList,
  path: string,
): DubboRouteConfigModel {
  if (!rc.interface)
    issues.add(
      'PROXY_ERR_MISSING_FIELD',
      `${path}.interface`,
      'an interface (Dubbo service name, or "*") is required',
    );
  return {
    name: rc.name ?? '',
    interface: rc.interface ?? '',
    group: rc.group ?? '',
    version: rc.version ?? '',
    routes: (rc.routes ?? []).map((r, i) => translateRoute(r, issues, `${path}.routes[${i}]`)),
  };
}

function translateRoute(r: Route, issues: IssueList, path: string): DubboRouteModel {
  const out: DubboRouteModel = { params: [], headers: [], clusters: [], totalWeight: 0 };
  if (!r.match) issues.add('PROXY_ERR_MISSING_FIELD', `${path}.match`, 'a route match is required');
  if (r.match?.method) translateMethod(r.match.method, out, issues, `${path}.match.method`);
  out.headers = (r.match?.headers ?? []).map((h, i) =>
    translateHeaderMatcher(h, issues, `${path}.match.headers[${i}]`),
  );
  if (!r.route) issues.add('PROXY_ERR_MISSING_FIELD', `${path}.route`, 'a route action is required');
  else translateAction(r.route, out, issues, `${path}.route`);
  return out;
}

function translateMethod(m: MethodMatch, out: DubboRouteModel, issues: IssueList, path: string): void {
  if (m.name) {
    const sm = translateStringMatcher(m.name, issues, `${path}.name`);
    if (sm) out.method = sm;
  } else if (Object.keys(m.paramsMatch ?? {}).length === 0) {
    issues.add('PROXY_ERR_MISSING_FIELD', `${path}.name`, 'a method name matcher is required');
  }
  for (const [key, spec] of Object.entries(m.paramsMatch ?? {})) {
    const p = `${path}.params_match[${key}]`;
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index > MAX_PARAM_INDEX) {
      issues.add('PROXY_ERR_INVALID_VALUE', p, `parameter index "${key}" is not in 0..${MAX_PARAM_INDEX}`);
      continue;
    }
    if (spec.exactMatch != null) {
      out.params.push({ index, kind: 'exact', value: spec.exactMatch });
    } else if (spec.rangeMatch != null) {
      const start = Number(spec.rangeMatch.start ?? 0);
      const end = Number(spec.rangeMatch.end ?? 0);
      if (!(start < end))
        issues.add(
          'PROXY_ERR_INVALID_VALUE',
          `${p}.range_match`,
          `start ${start} must be below end ${end} (end is exclusive)`,
        );
      out.params.push({ index, kind: 'range', start, end });
    } else {
      issues.add('PROXY_ERR_MISSING_FIELD', p, 'one of exact_match, range_match is required');
    }
  }
  out.params.sort((a, b) => a.index - b.index);
}

function translateAction(a: RouteAction, out: DubboRouteModel, issues: IssueList, path: string): void {
  if (a.cluster) out.clusters.push({ name: a.cluster, weight: 1 });
  else if (a.weightedClusters) {
    (a.weightedClusters.clusters ?? []).forEach((c, i) => {
      if (!c.name)
        issues.add(
          'PROXY_ERR_MISSING_FIELD',
          `${path}.weighted_clusters.clusters[${i}].name`,
          'a cluster name is required',
        );
      const weight = Number(c.weight?.value ?? 0);
      if (weight > 0) out.clusters.push({ name: c.name ?? '', weight });
    });
    checkWeightSum(
      out.clusters.map((c) => c.weight),
      issues,
      `${path}.weighted_clusters`,
    );
  } else {
    issues.add('PROXY_ERR_MISSING_FIELD', path, 'one of cluster, weighted_clusters is required');
  }
  out.totalWeight = out.clusters.reduce((s, c) => s + c.weight, 0);
  const meta = a.metadataMatch?.filterMetadata?.[STRAIT_DUBBO_METADATA];
  if (meta) {
    const raw = structToJson(meta)['timeout'];
    if (raw !== undefined) {
      const ms = parseTimeout(raw);
      if (ms === undefined)
        issues.add(
          'PROXY_ERR_INVALID_VALUE',
          `${path}.metadata_match.filter_metadata["${STRAIT_DUBBO_METADATA}"].timeout`,
          `${JSON.stringify(raw)} is not a duration ("500ms", "1.5s") or a number of milliseconds above 0`,
        );
      else out.timeoutMs = ms;
    }
  }
}

function parseTimeout(v: unknown): number | undefined {
  if (typeof v === 'number') return v > 0 && Number.isFinite(v) ? Math.round(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(v.trim());
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
  return ms > 0 ? ms : undefined;
}
