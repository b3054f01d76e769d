// Network filters as listeners carry them: a name plus a packed typed_config.
import { pack } from '../codec/any.js';
import { DubboProxyCodec, HttpConnectionManagerCodec, RouterCodec, TcpProxyCodec } from '../codec/codecs.js';
import type {
  DubboRoute,
  DubboRouteConfiguration,
  Filter,
  HttpConnectionManager,
  RouteConfiguration,
} from '../codec/types.js';
import { XdsInvalidArgumentError } from '../errors.js';
import { envoy } from '../gen/protos.js';
import { ExtensionName } from '../type-urls.js';
import { adsConfigSource, checkNonEmpty, checkWeight, durationMs } from './common.js';
import type { HeaderMatchSpec, WeightedDestination } from './route.js';

const Hcm = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
const Dubbo = envoy.extensions.filters.network.dubbo_proxy.v3;

export interface HttpConnectionManagerSpec {
  statPrefix: string;
  /** Fetch routes by this name over ADS (outbound listeners)... */
  routeConfigName?: string;
  /** ...or carry them inline (inbound filter chains, where they never change). */
  routeConfig?: RouteConfiguration;
  /** Request ids and X-Forwarded-For the way a sidecar should: trust nothing from downstream. */
  useRemoteAddress?: boolean;
}

/** The router filter, always last in an HTTP filter chain. */
export function routerHttpFilter(): envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.$Properties {
  return { name: ExtensionName.Router, typedConfig: pack(RouterCodec, {}) };
}

export function httpConnectionManagerFilter(spec: HttpConnectionManagerSpec): Filter {
  checkNonEmpty(spec.statPrefix, 'statPrefix');
  if ((spec.routeConfigName === undefined) === (spec.routeConfig === undefined)) {
    throw new XdsInvalidArgumentError(
      'routeConfigName',
      'exactly one of routeConfigName and routeConfig is needed',
    );
  }
  const hcm: HttpConnectionManager = {
    statPrefix: spec.statPrefix,
    codecType: Hcm.CodecType.AUTO,
    httpFilters: [routerHttpFilter()],
    useRemoteAddress: { value: spec.useRemoteAddress ?? false },
    normalizePath: { value: true },
    mergeSlashes: true,
  };
  if (spec.routeConfigName !== undefined) {
    hcm.rds = { configSource: adsConfigSource(), routeConfigName: spec.routeConfigName };
  } else {
    hcm.routeConfig = spec.routeConfig!;
  }
  return { name: ExtensionName.HttpConnectionManager, typedConfig: pack(HttpConnectionManagerCodec, hcm) };
}

export interface TcpProxySpec {
  statPrefix: string;
  cluster?: string;
  weightedClusters?: WeightedDestination[];
  /** Idle timeout in ms (Envoy's default is 1 h). */
  idleTimeoutMs?: number;
}

export function tcpProxyFilter(spec: TcpProxySpec): Filter {
  checkNonEmpty(spec.statPrefix, 'statPrefix');
  const config: envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.$Properties = {
    statPrefix: spec.statPrefix,
  };
  if (spec.cluster !== undefined && spec.weightedClusters === undefined) {
    checkNonEmpty(spec.cluster, 'cluster');
    config.cluster = spec.cluster;
  } else if (
    spec.cluster === undefined &&
    spec.weightedClusters !== undefined &&
    spec.weightedClusters.length > 0
  ) {
    config.weightedClusters = {
      clusters: spec.weightedClusters.map((w, i) => {
        checkNonEmpty(w.cluster, `weightedClusters[${i}].cluster`);
        checkWeight(w.weight, `weightedClusters[${i}].weight`, 1);
        return { name: w.cluster, weight: w.weight };
      }),
    };
  } else {
    throw new XdsInvalidArgumentError('cluster', 'exactly one of cluster and weightedClusters is needed');
  }
  if (spec.idleTimeoutMs !== undefined) config.idleTimeout = durationMs(spec.idleTimeoutMs, 'idleTimeoutMs');
  return { name: ExtensionName.TcpProxy, typedConfig: pack(TcpProxyCodec, config) };
}

export type DubboMethodMatch = { exact: string } | { prefix: string } | { regex: string };

export interface DubboRouteSpec {
  /** Method name to match; omitted matches every method. */
  method?: string | DubboMethodMatch;
  /** Matches on Dubbo attachments (carried as headers by Envoy's dubbo_proxy). */
  headers?: HeaderMatchSpec[];
  cluster?: string;
  weightedClusters?: WeightedDestination[];
}

export interface DubboRouteConfigSpec {
  name?: string;
  /** Fully qualified Dubbo interface, `org.apache.dubbo.demo.DemoService`. */
  interface: string;
  group?: string;
  version?: string;
  routes: DubboRouteSpec[];
}

function dubboRoute(spec: DubboRouteSpec, path: string): DubboRoute {
  const m = spec.method ?? { regex: '.*' };
  const name =
    typeof m === 'string'
      ? { exact: m }
      : 'exact' in m
        ? { exact: m.exact }
        : 'prefix' in m
          ? { prefix: m.prefix }
          : { safeRegex: { regex: m.regex } };
  const route: DubboRoute = { match: { method: { name } } };
  if (spec.headers && spec.headers.length > 0) {
    route.match!.headers = spec.headers.map((h) => {
      if ('exact' in h)
        return { name: h.name, stringMatch: { exact: h.exact }, invertMatch: h.invert ?? false };
      if ('prefix' in h)
        return { name: h.name, stringMatch: { prefix: h.prefix }, invertMatch: h.invert ?? false };
      if ('regex' in h)
        return {
          name: h.name,
          stringMatch: { safeRegex: { regex: h.regex } },
          invertMatch: h.invert ?? false,
        };
      return { name: h.name, presentMatch: h.present, invertMatch: h.invert ?? false };
    });
  }
  if (spec.cluster !== undefined && spec.weightedClusters === undefined) {
    checkNonEmpty(spec.cluster, `${path}.cluster`);
    route.route = { cluster: spec.cluster };
  } else if (spec.cluster === undefined && spec.weightedClusters && spec.weightedClusters.length > 0) {
    route.route = {
      weightedClusters: {
        clusters: spec.weightedClusters.map((w, i) => {
          checkWeight(w.weight, `${path}.weightedClusters[${i}].weight`);
          return { name: w.cluster, weight: { value: w.weight } };
        }),
      },
    };
  } else {
    throw new XdsInvalidArgumentError(path, 'exactly one of cluster and weightedClusters is needed');
  }
  return route;
}

export function dubboRouteConfiguration(spec: DubboRouteConfigSpec): DubboRouteConfiguration {
  checkNonEmpty(spec.interface, 'interface');
  const out: DubboRouteConfiguration = {
    name: spec.name ?? spec.interface,
    interface: spec.interface,
    routes: spec.routes.map((r, i) => dubboRoute(r, `routes[${i}]`)),
  };
  if (spec.group) out.group = spec.group;
  if (spec.version) out.version = spec.version;
  return out;
}

export interface DubboProxySpec {
  statPrefix: string;
  /** One route configuration per Dubbo interface served on this port, inline. */
  routeConfigs: DubboRouteConfigSpec[];
}

export function dubboProxyFilter(spec: DubboProxySpec): Filter {
  checkNonEmpty(spec.statPrefix, 'statPrefix');
  if (spec.routeConfigs.length === 0)
    throw new XdsInvalidArgumentError('routeConfigs', 'needs at least one interface');
  return {
    name: ExtensionName.DubboProxy,
    typedConfig: pack(DubboProxyCodec, {
      statPrefix: spec.statPrefix,
      protocolType: Dubbo.ProtocolType.Dubbo,
      serializationType: Dubbo.SerializationType.Hessian2,
      routeConfig: spec.routeConfigs.map(dubboRouteConfiguration),
    }),
  };
}
