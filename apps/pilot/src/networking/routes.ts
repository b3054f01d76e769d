// RDS: VirtualService HTTP routes to Envoy routes (match, weighted destinations, retries, timeouts,
// fault, CORS, mirror, rewrite, redirect), the default route when no VirtualService applies. Pure.
import type {
  Destination,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPRoute,
  StringMatch,
  VirtualService,
} from '@strait/config';
import { envoy } from '@strait/xds';
import { CLUSTER_DOMAIN, type PushContext, resolveHost } from '../model/push-context.js';
import { labelsMatch, type Service, type ServicePort } from '../model/service.js';
import { packCorsPolicy, packFault } from './any.js';
import { buildOutboundCluster, effectivePolicy } from './clusters.js';
import { CORS_FILTER_NAME, translateCorsPolicy } from './cors.js';
import { duration, fractionalPercent } from './duration.js';
import { clusterName, parseClusterName } from './names.js';
import { weightedClusters } from './weights.js';

export type Route = envoy.config.route.v3.Route.$Properties;
export type RouteMatch = envoy.config.route.v3.RouteMatch.$Properties;
export type VirtualHost = envoy.config.route.v3.VirtualHost.$Properties;
export type RouteConfiguration = envoy.config.route.v3.RouteConfiguration.$Properties;
type HeaderMatcher = envoy.config.route.v3.HeaderMatcher.$Properties;
type StringMatcher = envoy.type.matcher.v3.StringMatcher.$Properties;

export interface RouteOptions {
  /** Proxyless gRPC: only what grpc-js-xds understands (no redirects, no mirrors, gRPC retry codes). */
  readonly forGrpc: boolean;
  /** Labels of the proxy the routes are for: match entries with other `sourceLabels` are dropped. */
  readonly proxyLabels?: Readonly<Record<string, string>>;
  /** Namespace of the proxy: match entries with another `sourceNamespace` are dropped. */
  readonly proxyNamespace?: string;
}

function vsNamespace(vs: VirtualService): string {
  return vs.metadata.namespace ?? 'default';
}

/** VirtualServices bound to the mesh that name this host, oldest first (Istio's merge order). */
export function virtualServicesFor(ctx: PushContext, host: string): VirtualService[] {
  return ctx.virtualServices.filter((vs) => {
    const gw = vs.spec.gateways;
    if (gw && gw.length > 0 && !gw.includes('mesh')) return false;
    return (vs.spec.hosts ?? []).some((h) => {
      const r = resolveHost(h, vsNamespace(vs), ctx.services);
      return r === host || (r.startsWith('*.') && host.endsWith(r.slice(1))) || r === '*';
    });
  });
}

function stringMatcher(m: StringMatch, ignoreCase = false): StringMatcher {
  const out: StringMatcher = {};
  if (m.exact !== undefined) out.exact = m.exact;
  else if (m.prefix !== undefined) out.prefix = m.prefix;
  else if (m.regex !== undefined) out.safeRegex = { regex: m.regex };
  if (ignoreCase) out.ignoreCase = true;
  return out;
}

function headerMatcher(name: string, m: StringMatch, invert: boolean): HeaderMatcher {
  const h: HeaderMatcher = { name };
  if (m.exact === undefined && m.prefix === undefined && m.regex === undefined) h.presentMatch = true;
  else if (m.exact !== undefined) h.exactMatch = m.exact;
  else if (m.prefix !== undefined) h.prefixMatch = m.prefix;
  else h.safeRegexMatch = { regex: m.regex! };
  if (invert) h.invertMatch = true;
  return h;
}

export function routeMatch(m: HTTPMatchRequest | undefined): RouteMatch {
  const out: RouteMatch = {};
  const uri = m?.uri;
  if (uri?.exact !== undefined) out.path = uri.exact;
  else if (uri?.regex !== undefined) out.safeRegex = { regex: uri.regex };
  else out.prefix = uri?.prefix ?? '/';
  if (m?.ignoreUriCase) out.caseSensitive = { value: false };
  const headers: HeaderMatcher[] = [];
  for (const name of Object.keys(m?.headers ?? {}).sort())
    headers.push(headerMatcher(name, m!.headers![name]!, false));
  for (const name of Object.keys(m?.withoutHeaders ?? {}).sort()) {
    headers.push(headerMatcher(name, m!.withoutHeaders![name]!, true));
  }
  if (m?.method) headers.push(headerMatcher(':method', m.method, false));
  if (m?.authority) headers.push(headerMatcher(':authority', m.authority, false));
  if (m?.scheme) headers.push(headerMatcher(':scheme', m.scheme, false));
  if (headers.length > 0) out.headers = headers;
  const qp = Object.keys(m?.queryParams ?? {}).sort();
  if (qp.length > 0) {
    out.queryParameters = qp.map((name) => {
      const q = m!.queryParams![name]!;
      return q.exact === undefined && q.prefix === undefined && q.regex === undefined
        ? { name, presentMatch: true }
        : { name, stringMatch: stringMatcher(q) };
    });
  }
  return out;
}

/** Cluster name of a VirtualService destination, or undefined when it names nothing that exists. */
export function destinationCluster(
  ctx: PushContext,
  vs: VirtualService | undefined,
  dest: Destination,
  listenerPort: number | undefined,
  forGrpc: boolean,
): string | undefined {
  const host = vs ? resolveHost(dest.host, vsNamespace(vs), ctx.services) : dest.host;
  const service = ctx.services.get(host);
  if (!service) return undefined;
  const port =
    dest.port?.number ??
    (listenerPort !== undefined && service.ports.some((p) => p.number === listenerPort)
      ? listenerPort
      : undefined) ??
    (service.ports.length === 1 ? service.ports[0]!.number : undefined);
  if (port === undefined) return undefined;
  const name = clusterName({ direction: 'outbound', port, subset: dest.subset ?? '', host });
  // Consistency: a route names only clusters that the same context's CDS contains.
  return buildOutboundCluster(ctx, name, forGrpc) ? name : undefined;
}

/**
 * A DestinationRule's consistentHash key becomes the route's hash policy, as Istio does: taken from the
 * policy of the route's (first) destination cluster, so the key and the hashing cluster agree.
 */
function hashPolicyFor(
  ctx: PushContext,
  cluster: string,
): envoy.config.route.v3.RouteAction.HashPolicy.$Properties[] | undefined {
  const key = parseClusterName(cluster);
  if (!key) return undefined;
  const hash = effectivePolicy(ctx, key.host, key.port, key.subset ?? '')?.loadBalancer?.consistentHash;
  if (!hash) return undefined;
  if (hash.httpHeaderName) return [{ header: { headerName: hash.httpHeaderName } }];
  if (hash.httpCookie) {
    const ttl = duration(hash.httpCookie.ttl);
    return [
      {
        cookie: {
          name: hash.httpCookie.name,
          ...(hash.httpCookie.path ? { path: hash.httpCookie.path } : {}),
          ...(ttl ? { ttl } : {}),
        },
      },
    ];
  }
  if (hash.useSourceIp) return [{ connectionProperties: { sourceIp: true } }];
  if (hash.httpQueryParameterName) return [{ queryParameter: { name: hash.httpQueryParameterName } }];
  return undefined;
}

const GRPC_RETRY_ON = new Set([
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

function retryPolicy(
  route: HTTPRoute,
  forGrpc: boolean,
): envoy.config.route.v3.RetryPolicy.$Properties | undefined {
  const r = route.retries;
  if (r && (r.attempts ?? 0) === 0) return undefined;
  const attempts = r?.attempts ?? 2;
  let retryOn = r?.retryOn ?? 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
  if (forGrpc) {
    retryOn = retryOn
      .split(',')
      .map((s) => s.trim())
      .filter((s) => GRPC_RETRY_ON.has(s))
      .join(',');
    if (!r || retryOn === '') return undefined;
  }
  const policy: envoy.config.route.v3.RetryPolicy.$Properties = { retryOn, numRetries: { value: attempts } };
  const perTry = duration(r?.perTryTimeout);
  if (perTry) policy.perTryTimeout = perTry;
  const backoff = duration(r?.backoff);
  if (backoff) policy.retryBackOff = { baseInterval: backoff };
  if (!forGrpc) {
    policy.retryHostPredicate = [{ name: 'envoy.retry_host_predicates.previous_hosts' }];
    policy.hostSelectionRetryMaxAttempts = 5;
  }
  return policy;
}

function faultConfig(fault: HTTPFaultInjection): ReturnType<typeof packFault> {
  const f: envoy.extensions.filters.http.fault.v3.HTTPFault.$Properties = {};
  const delay = duration(fault.delay?.fixedDelay ?? fault.delay?.exponentialDelay);
  if (fault.delay && delay) {
    f.delay = {
      fixedDelay: delay,
      percentage: fractionalPercent(fault.delay.percentage?.value ?? fault.delay.percent),
    };
  }
  if (fault.abort?.httpStatus !== undefined) {
    f.abort = {
      httpStatus: fault.abort.httpStatus,
      percentage: fractionalPercent(fault.abort.percentage?.value),
    };
  } else if (fault.abort?.grpcStatus !== undefined) {
    f.abort = {
      grpcStatus: grpcCode(fault.abort.grpcStatus),
      percentage: fractionalPercent(fault.abort.percentage?.value),
    };
  }
  return packFault(f);
}

const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];
function grpcCode(name: string): number {
  const i = GRPC_CODES.indexOf(name.toUpperCase());
  return i >= 0 ? i : 14;
}

type HeaderValueOption = envoy.config.core.v3.HeaderValueOption.$Properties;
const APPEND = envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;

function headerOptions(
  set: Record<string, string> | undefined,
  add: Record<string, string> | undefined,
): HeaderValueOption[] {
  const out: HeaderValueOption[] = [];
  for (const k of Object.keys(set ?? {}).sort()) {
    out.push({ header: { key: k, value: set![k]! }, appendAction: APPEND.OVERWRITE_IF_EXISTS_OR_ADD });
  }
  for (const k of Object.keys(add ?? {}).sort()) {
    out.push({ header: { key: k, value: add![k]! }, appendAction: APPEND.APPEND_IF_EXISTS_OR_ADD });
  }
  return out;
}

/** Istio's `headers.request/response` set/add/remove as route-level header mutations. */
function applyHeaders(route: Route, headers: NonNullable<HTTPRoute['headers']>): void {
  const req = headerOptions(headers.request?.set, headers.request?.add);
  if (req.length > 0) route.requestHeadersToAdd = req;
  if (headers.request?.remove?.length) route.requestHeadersToRemove = [...headers.request.remove];
  const res = headerOptions(headers.response?.set, headers.response?.add);
  if (res.length > 0) route.responseHeadersToAdd = res;
  if (headers.response?.remove?.length) route.responseHeadersToRemove = [...headers.response.remove];
}

/** Translates one HTTPRoute into Envoy routes (one per match entry: Istio's OR of ANDs). */
export function translateHttpRoute(
  ctx: PushContext,
  vs: VirtualService,
  route: HTTPRoute,
  index: number,
  listenerPort: number | undefined,
  opts: RouteOptions,
): Route[] {
  const matches = route.match && route.match.length > 0 ? route.match : [undefined];
  const base: Route = { name: route.name ?? `${vs.metadata.name}.${index}` };
  if (route.directResponse && !opts.forGrpc) {
    base.directResponse = { status: route.directResponse.status };
    if (route.directResponse.body?.string !== undefined)
      base.directResponse.body = { inlineString: route.directResponse.body.string };
  } else if (route.redirect && !opts.forGrpc) {
    const rd: envoy.config.route.v3.RedirectAction.$Properties = {};
    if (route.redirect.uri) rd.pathRedirect = route.redirect.uri;
    if (route.redirect.authority) rd.hostRedirect = route.redirect.authority;
    if (route.redirect.port) rd.portRedirect = route.redirect.port;
    if (route.redirect.scheme) rd.schemeRedirect = route.redirect.scheme;
    const codes: Record<number, number> = { 301: 0, 302: 1, 303: 2, 307: 3, 308: 4 };
    rd.responseCode = codes[route.redirect.redirectCode ?? 301] ?? 0;
    base.redirect = rd;
  } else {
    const weighted = weightedClusters(
      (route.route ?? []).map((d) => ({
        cluster: destinationCluster(ctx, vs, d.destination, listenerPort, opts.forGrpc),
        weight: d.weight,
      })),
    );
    if (weighted.length === 0) {
      // Nothing this route names exists: fail the request rather than name a missing cluster.
      base.directResponse = { status: 503 };
    } else {
      const action: envoy.config.route.v3.RouteAction.$Properties = {};
      if (weighted.length === 1) action.cluster = weighted[0]!.cluster;
      else {
        action.weightedClusters = {
          clusters: weighted.map((d) => ({ name: d.cluster, weight: { value: d.weight } })),
        };
      }
      const timeout = duration(route.timeout);
      if (opts.forGrpc) {
        if (timeout) action.maxStreamDuration = { maxStreamDuration: timeout };
      } else {
        action.timeout = timeout ?? { seconds: 0, nanos: 0 };
      }
      const retry = retryPolicy(route, opts.forGrpc);
      if (retry) action.retryPolicy = retry;
      const hashPolicy = hashPolicyFor(ctx, weighted[0]!.cluster);
      if (hashPolicy) action.hashPolicy = hashPolicy;
      if (!opts.forGrpc) {
        const mirrors =
          route.mirrors ??
          (route.mirror
            ? [
                {
                  destination: route.mirror,
                  percentage:
                    route.mirrorPercentage ??
                    (route.mirrorPercent !== undefined ? { value: route.mirrorPercent } : undefined),
                },
              ]
            : []);
        const policies = mirrors
          .map((m) => ({
            cluster: destinationCluster(ctx, vs, m.destination, listenerPort, false),
            percentage: m.percentage,
          }))
          .filter((m) => m.cluster !== undefined)
          .map((m) => ({
            cluster: m.cluster!,
            runtimeFraction: { defaultValue: fractionalPercent(m.percentage?.value) },
          }));
        if (policies.length > 0) action.requestMirrorPolicies = policies;
        if (route.rewrite?.uri !== undefined) action.prefixRewrite = route.rewrite.uri;
        if (route.rewrite?.authority) action.hostRewriteLiteral = route.rewrite.authority;
      }
      base.route = action;
    }
  }
  if (!opts.forGrpc && route.headers) applyHeaders(base, route.headers);
  const perFilter: NonNullable<Route['typedPerFilterConfig']> = {};
  if (route.fault && (route.fault.delay || route.fault.abort)) {
    perFilter['envoy.filters.http.fault'] = faultConfig(route.fault);
  }
  // Proxyless gRPC has no CORS filter (browsers do not speak gRPC to it), so the policy is not sent.
  if (route.corsPolicy && !opts.forGrpc) {
    perFilter[CORS_FILTER_NAME] = packCorsPolicy(translateCorsPolicy(route.corsPolicy));
  }
  if (Object.keys(perFilter).length > 0) base.typedPerFilterConfig = perFilter;
  return matches.map((m, i) => ({
    ...base,
    name: matches.length > 1 ? `${base.name}.${m?.name ?? i}` : (base.name ?? ''),
    match: routeMatch(m),
  }));
}

function defaultRoute(ctx: PushContext, service: Service, port: ServicePort, forGrpc: boolean): Route {
  const action: envoy.config.route.v3.RouteAction.$Properties = {
    cluster: clusterName({ direction: 'outbound', port: port.number, host: service.hostname }),
  };
  const hashPolicy = hashPolicyFor(ctx, action.cluster!);
  if (hashPolicy) action.hashPolicy = hashPolicy;
  if (!forGrpc) {
    action.timeout = { seconds: 0, nanos: 0 };
    action.retryPolicy = {
      retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
      numRetries: { value: 2 },
      retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }],
      hostSelectionRetryMaxAttempts: 5,
    };
  }
  return { name: 'default', match: { prefix: '/' }, route: action };
}

/** Routes for one service port: its VirtualServices' HTTP routes, else the default route. */
export function buildRoutesFor(
  ctx: PushContext,
  service: Service,
  port: ServicePort,
  opts: RouteOptions,
): Route[] {
  const routes: Route[] = [];
  for (const vs of virtualServicesFor(ctx, service.hostname)) {
    (vs.spec.http ?? []).forEach((r, i) => {
      // Istio: match entries for other ports, other source workloads (sourceLabels, sourceNamespace,
      // decided here per proxy) or only other gateways (a sidecar is the `mesh` gateway) do not
      // apply; a route left with none of its entries is dropped.
      const ms = r.match ?? [];
      const applies = (m: HTTPMatchRequest) =>
        (m.port === undefined || m.port === port.number) &&
        (!m.sourceLabels || labelsMatch(m.sourceLabels, opts.proxyLabels ?? {})) &&
        (!m.sourceNamespace ||
          opts.proxyNamespace === undefined ||
          m.sourceNamespace === opts.proxyNamespace) &&
        (!m.gateways || m.gateways.length === 0 || m.gateways.includes('mesh'));
      if (ms.length > 0 && !ms.some(applies)) return;
      const filtered = ms.length === 0 ? r : { ...r, match: ms.filter(applies) };
      routes.push(...translateHttpRoute(ctx, vs, filtered, i, port.number, opts));
    });
  }
  // Istio appends no default after a VirtualService; do the same, except when none applied.
  if (routes.length === 0) routes.push(defaultRoute(ctx, service, port, opts.forGrpc));
  return routes;
}

/** Domains a virtual host answers to: the FQDN, short forms inside its namespace, each with :port. */
export function domainsFor(service: Service, port: number, proxyNamespace: string): string[] {
  const hosts = [service.hostname];
  const suffix = `.${service.namespace}.${CLUSTER_DOMAIN}`;
  if (service.hostname.endsWith(suffix)) {
    const name = service.hostname.slice(0, -suffix.length);
    hosts.push(`${name}.${service.namespace}.svc`, `${name}.${service.namespace}`);
    if (service.namespace === proxyNamespace) hosts.push(name);
  }
  return hosts.flatMap((h) => [h, `${h}:${port}`]);
}

export function virtualHostFor(
  service: Service,
  port: ServicePort,
  routes: Route[],
  domains: string[],
): VirtualHost {
  return { name: `${service.hostname}:${port.number}`, domains, routes };
}
