// mesh.strait.io/v1alpha1 RpcRoute: Strait's own kind for routing RPC (Dubbo2) calls.
//
// The shape mirrors Envoy's `envoy.extensions.filters.network.dubbo_proxy.v3.RouteConfiguration` so the
// pilot's translation is one-to-one:
//   spec.service{interface,group,version}      -> RouteConfiguration{interface,group,version}
//   spec.routes[i].match[j]                    -> one Route per match entry (Istio's OR-of-ANDs)
//   match.method.name (StringMatch)            -> MethodMatch.name (StringMatcher)
//   match.method.args[k] exact / range         -> MethodMatch.params_match[index] exact_match / range_match
//   match.attachments[k]                       -> RouteMatch.headers (HeaderMatcher: Dubbo attachments
//                                                 are what dubbo_proxy exposes as headers)
//   routes[i].route[] destination+weight       -> RouteAction.weighted_clusters (cluster names built from
//                                                 host/subset/port the Istio way: outbound|port|subset|host)
// Things Envoy's dubbo route cannot express are kept explicit rather than invented inside Envoy types:
//   match.sourceApps   like Istio's sourceLabels: decided when generating config for a proxy (the proxy's
//                      own app), so it never needs a runtime matcher.
//   args prefix/regex  have no ParameterMatchSpecifier; accepted with a CFG_WARN_NOT_TRANSLATABLE warning.
//   timeout/retries    are not in Envoy's dubbo RouteAction; Strait's proxy reads them from the route.
import type { ConfigObjectBase, Duration, STRAIT_MESH_V1ALPHA1, StringMatch } from './common.js';

export interface RpcRouteSpec {
  /** Only "dubbo" today; the field exists so other RPC protocols don't need a new kind. */
  protocol?: 'dubbo';
  /** The service (Dubbo interface) these routes apply to: one Envoy RouteConfiguration. */
  service: RpcService;
  /** Ordered: the first route whose match succeeds wins, as in Envoy. */
  routes: RpcRouteRule[];
  exportTo?: string[];
}

export type RpcRoute = ConfigObjectBase<typeof STRAIT_MESH_V1ALPHA1, 'RpcRoute', RpcRouteSpec>;

export interface RpcService {
  /** Fully qualified interface name, e.g. "org.apache.dubbo.samples.GreetingService". */
  interface: string;
  /** Dubbo service group; empty means the default group. */
  group?: string;
  /** Dubbo service version, e.g. "1.0.0"; empty means unversioned. */
  version?: string;
}

export interface RpcRouteRule {
  name?: string;
  /** OR of entries; entries AND their conditions. Empty or absent matches every call. */
  match?: RpcMatch[];
  /** Weighted destinations; weights are relative (Istio's rule: >= 0, a total above 0 when several). */
  route: RpcRouteDestination[];
  /** Per-call timeout, e.g. "500ms". */
  timeout?: Duration;
  retries?: RpcRetry;
}

export interface RpcMatch {
  name?: string;
  /** Caller application names (Dubbo `application` of the consumer). */
  sourceApps?: string[];
  method?: RpcMethodMatch;
  attachments?: RpcAttachmentMatch[];
}

export interface RpcMethodMatch {
  /** Method name; exactly one of exact/prefix/regex. */
  name?: StringMatch;
  /** Argument conditions, ANDed. */
  args?: RpcArgMatch[];
}

export interface RpcArgMatch {
  /** 0-based argument position. */
  index: number;
  /** Optional Java type of the argument (e.g. "java.lang.String", "int", "long") to disambiguate overloads. */
  type?: string;
  /** Exactly one of exact / prefix / regex / range. */
  exact?: string;
  prefix?: string;
  regex?: string;
  /** Integer range [start, end): start inclusive, end exclusive, as Envoy's Int64Range. */
  range?: RpcRange;
}

export interface RpcRange {
  start: number;
  end: number;
}

/** A condition on one Dubbo attachment (implicit key/value parameter). Exactly one of the match fields. */
export interface RpcAttachmentMatch {
  name: string;
  exact?: string;
  prefix?: string;
  regex?: string;
  /** true: the attachment must be present; false: it must be absent. */
  present?: boolean;
}

export interface RpcRouteDestination {
  destination: RpcDestination;
  /** Relative share of calls, >= 0. */
  weight?: number;
}

export interface RpcDestination {
  /** Service host name as in Istio destinations (registry host or ServiceEntry host). */
  host: string;
  /** DestinationRule subset name. */
  subset?: string;
  port?: { number: number };
}

export interface RpcRetry {
  attempts: number;
  perTryTimeout?: Duration;
}
