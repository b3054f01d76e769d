// networking.istio.io/v1 VirtualService, field for field as Istio defines it.
import type {
  ConfigObjectBase,
  Duration,
  ISTIO_NETWORKING_V1,
  Percent,
  PortSelector,
  StringMatch,
} from './common.js';

export interface VirtualServiceSpec {
  hosts?: string[];
  /** Gateway names, or the reserved "mesh" for sidecars (the default when empty). */
  gateways?: string[];
  http?: HTTPRoute[];
  tls?: TLSRoute[];
  tcp?: TCPRoute[];
  /** "." (own namespace), "*" (all), or namespace names. */
  exportTo?: string[];
}

export type VirtualService = ConfigObjectBase<
  typeof ISTIO_NETWORKING_V1,
  'VirtualService',
  VirtualServiceSpec
>;

export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: HTTPRedirect;
  directResponse?: HTTPDirectResponse;
  delegate?: Delegate;
  rewrite?: HTTPRewrite;
  timeout?: Duration;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  /** Deprecated by Istio in favour of `mirrorPercentage`; still honoured, with a warning. */
  mirrorPercent?: number;
  mirrorPercentage?: Percent;
  mirrors?: HTTPMirrorPolicy[];
  corsPolicy?: CorsPolicy;
  headers?: Headers;
}

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  /** Keys are lower-case header names; `{}` (no match type) means "header present". */
  headers?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  queryParams?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
  withoutHeaders?: Record<string, StringMatch>;
  sourceNamespace?: string;
  statPrefix?: string;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: PortSelector;
}

export interface HTTPRouteDestination {
  destination: Destination;
  /**
   * Relative share of traffic, >= 0: a destination gets weight / (sum of the rule's weights). With
   * several destinations the sum must be above 0; a single destination gets all traffic.
   */
  weight?: number;
  headers?: Headers;
}

export interface RouteDestination {
  destination: Destination;
  /** Relative share of traffic, as in HTTPRouteDestination. */
  weight?: number;
}

export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  port?: number;
  derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  scheme?: string;
  /** 301, 302, 303, 307 or 308 (Istio's default is 301). */
  redirectCode?: number;
}

export interface HTTPDirectResponse {
  status: number;
  body?: HTTPBody;
}

export interface HTTPBody {
  string?: string;
  /** base64 */
  bytes?: string;
}

export interface Delegate {
  name?: string;
  namespace?: string;
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
  uriRegexRewrite?: RegexRewrite;
}

export interface RegexRewrite {
  match?: string;
  rewrite?: string;
}

export interface HTTPRetry {
  attempts?: number;
  perTryTimeout?: Duration;
  /** Comma-separated Envoy retry policies and/or HTTP status codes, e.g. "5xx,gateway-error,503". */
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  retryIgnorePreviousHosts?: boolean;
  backoff?: Duration;
}

export interface HTTPFaultInjection {
  delay?: HTTPFaultDelay;
  abort?: HTTPFaultAbort;
}

export interface HTTPFaultDelay {
  fixedDelay?: Duration;
  exponentialDelay?: Duration;
  percentage?: Percent;
  /** Deprecated integer percentage. */
  percent?: number;
}

export interface HTTPFaultAbort {
  httpStatus?: number;
  /** gRPC status name, e.g. "UNAVAILABLE". */
  grpcStatus?: string;
  http2Error?: string;
  percentage?: Percent;
}

export interface HTTPMirrorPolicy {
  destination: Destination;
  percentage?: Percent;
}

export interface CorsPolicy {
  /** Deprecated: use allowOrigins. */
  allowOrigin?: string[];
  allowOrigins?: StringMatch[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: Duration;
  allowCredentials?: boolean;
  unmatchedPreflights?: 'UNSPECIFIED' | 'FORWARD' | 'IGNORE';
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

export interface TLSMatchAttributes {
  sniHosts: string[];
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TLSRoute {
  match: TLSMatchAttributes[];
  route?: RouteDestination[];
}

export interface L4MatchAttributes {
  destinationSubnets?: string[];
  port?: number;
  sourceSubnet?: string;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TCPRoute {
  match?: L4MatchAttributes[];
  route?: RouteDestination[];
}
