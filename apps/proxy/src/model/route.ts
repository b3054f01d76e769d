// RouteConfiguration -> RouteTableModel: virtual hosts with pre-classified domains, compiled matchers,
// weighted clusters, retry/timeout policy, header mutations, mirrors and per-route fault overrides.
import type { envoy } from '@strait/xds';
import { IssueList, type Translation } from '../errors.js';
import {
  CORS_FILTER_NAME,
  type CorsPolicyModel,
  translateCorsPolicy,
  translateCorsPolicyAny,
} from '../filters/cors/config.js';
import { FAULT_FILTER_NAME, type FaultConfig, translateFaultAny } from '../filters/fault/config.js';
import {
  checkWeightSum,
  compileRegex,
  durationMs,
  fraction,
  type HeaderMutation,
  matchString,
  type StringMatch,
  translateHeaderMutations,
  translateStringMatcher,
  wrapped,
} from './common.js';

type RouteConfiguration = envoy.config.route.v3.RouteConfiguration.$Properties;
type VirtualHost = envoy.config.route.v3.VirtualHost.$Properties;
type Route = envoy.config.route.v3.Route.$Properties;
type RouteMatch = envoy.config.route.v3.RouteMatch.$Properties;
type RouteAction = envoy.config.route.v3.RouteAction.$Properties;
type RetryPolicy = envoy.config.route.v3.RetryPolicy.$Properties;
type HeaderMatcher = envoy.config.route.v3.HeaderMatcher.$Properties;

export type PathMatch =
  | { kind: 'prefix'; value: string }
  | { kind: 'exact'; value: string }
  | { kind: 'regex'; source: string; regex: RegExp }
  | { kind: 'separated_prefix'; value: string };

export interface HeaderMatchModel {
  name: string;
  /** undefined = presence only */
  match?: StringMatch | { kind: 'range'; start: number; end: number };
  present?: boolean;
  invert: boolean;
  treatMissingAsEmpty: boolean;
}

export interface QueryMatchModel {
  name: string;
  match?: StringMatch;
  present?: boolean;
}

export interface RouteMatchModel {
  path: PathMatch;
  caseSensitive: boolean;
  headers: HeaderMatchModel[];
  queryParams: QueryMatchModel[];
  grpcOnly: boolean;
}

export const RETRY_ON = [
  '5xx',
  'gateway-error',
  'connect-failure',
  'reset',
  'reset-before-request',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

export interface RetryPolicyModel {
  retryOn: Set<string>;
  numRetries: number;
  perTryTimeoutMs?: number;
  retriableStatusCodes: number[];
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** retry_host_predicate envoy.retry_host_predicates.previous_hosts: retries avoid hosts already tried. */
  avoidPreviousHosts: boolean;
  hostSelectionMaxAttempts: number;
}

export interface WeightedClusterModel {
  name: string;
  weight: number;
  requestHeadersToAdd: HeaderMutation[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderMutation[];
  responseHeadersToRemove: string[];
}

export interface MirrorPolicyModel {
  cluster: string;
  probability: number;
}

export type HashPolicyModel =
  | { kind: 'header'; name: string; terminal: boolean }
  | { kind: 'source_ip'; terminal: boolean }
  | { kind: 'query'; name: string; terminal: boolean }
  | { kind: 'cookie'; name: string; terminal: boolean };

export interface ForwardActionModel {
  kind: 'forward';
  clusters: WeightedClusterModel[];
  totalWeight: number;
  clusterHeader?: string;
  /** 0 = no timeout (Envoy's default is 15 s). */
  timeoutMs: number;
  idleTimeoutMs?: number;
  retry?: RetryPolicyModel;
  mirrors: MirrorPolicyModel[];
  prefixRewrite?: string;
  hostRewrite?: string;
  hashPolicy: HashPolicyModel[];
}

export type RouteActionModel =
  | ForwardActionModel
  | { kind: 'direct_response'; status: number; body: string }
  | { kind: 'redirect'; status: number; host?: string; path?: string; scheme?: string };

export interface RouteModel {
  name: string;
  match: RouteMatchModel;
  action: RouteActionModel;
  requestHeadersToAdd: HeaderMutation[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderMutation[];
  responseHeadersToRemove: string[];
  fault?: FaultConfig;
  /** typed_per_filter_config["envoy.filters.http.cors"]. */
  cors?: CorsPolicyModel;
  /** The deprecated RouteAction.cors, used only when no per-filter CORS policy applies (Envoy's rule). */
  legacyCors?: CorsPolicyModel;
}

export interface VirtualHostModel {
  name: string;
  domains: string[];
  routes: RouteModel[];
  requestHeadersToAdd: HeaderMutation[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderMutation[];
  responseHeadersToRemove: string[];
  retry?: RetryPolicyModel;
  fault?: FaultConfig;
  cors?: CorsPolicyModel;
  /** The deprecated VirtualHost.cors. */
  legacyCors?: CorsPolicyModel;
}

export interface RouteTableModel {
  name: string;
  virtualHosts: VirtualHostModel[];
  requestHeadersToAdd: HeaderMutation[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderMutation[];
  responseHeadersToRemove: string[];
  /** Clusters named by routes: the xDS client uses these to check references. */
  clusterNames: string[];
}

export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;

export function translateRouteConfiguration(
  rc: RouteConfiguration,
  resourceLabel?: string,
): Translation<RouteTableModel> {
  const issues = new IssueList(resourceLabel ?? `RouteConfiguration "${rc.name ?? ''}"`);
  const model = translateRouteConfigurationInto(rc, issues, '');
  return issues.ok ? { ok: true, value: model } : { ok: false, issues: issues.items };
}

/** Same translation, reporting into a caller's IssueList (used for an HCM's inline route_config). */
export function translateRouteConfigurationInto(
  rc: RouteConfiguration,
  issues: IssueList,
  path: string,
): RouteTableModel {
  const p = (s: string) => (path ? `${path}.${s}` : s);
  const clusterNames = new Set<string>();
  const seenDomains = new Map<string, number>();
  const virtualHosts = (rc.virtualHosts ?? []).map((vh, i) => {
    const v = translateVirtualHost(vh, issues, p(`virtual_hosts[${i}]`), clusterNames);
    for (const d of v.domains) {
      const prev = seenDomains.get(d);
      if (prev !== undefined) {
        issues.add(
          'PROXY_ERR_DUPLICATE',
          p(`virtual_hosts[${i}].domains`),
          `domain "${d}" is also in virtual_hosts[${prev}]`,
        );
      }
      seenDomains.set(d, i);
    }
    return v;
  });
  return {
    name: rc.name ?? '',
    virtualHosts,
    requestHeadersToAdd: translateHeaderMutations(
      rc.requestHeadersToAdd,
      issues,
      p('request_headers_to_add'),
    ),
    requestHeadersToRemove: (rc.requestHeadersToRemove ?? []).map((h) => h.toLowerCase()),
    responseHeadersToAdd: translateHeaderMutations(
      rc.responseHeadersToAdd,
      issues,
      p('response_headers_to_add'),
    ),
    responseHeadersToRemove: (rc.responseHeadersToRemove ?? []).map((h) => h.toLowerCase()),
    clusterNames: [...clusterNames],
  };
}

function translateVirtualHost(
  vh: VirtualHost,
  issues: IssueList,
  path: string,
  clusters: Set<string>,
): VirtualHostModel {
  const domains = (vh.domains ?? []).map((d) => d.toLowerCase());
  if (domains.length === 0)
    issues.add('PROXY_ERR_MISSING_FIELD', `${path}.domains`, 'at least one domain is required');
  domains.forEach((d, i) => {
    const stars = d.split('*').length - 1;
    if (stars > 1 || (stars === 1 && d !== '*' && !d.startsWith('*') && !d.endsWith('*'))) {
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${path}.domains[${i}]`,
        `"${d}": a wildcard may only be a prefix or a suffix`,
      );
    }
  });
  const retry = vh.retryPolicy ? translateRetry(vh.retryPolicy, issues, `${path}.retry_policy`) : undefined;
  const out: VirtualHostModel = {
    name: vh.name ?? '',
    domains,
    routes: (vh.routes ?? []).map((r, i) =>
      translateRoute(r, issues, `${path}.routes[${i}]`, clusters, retry),
    ),
    requestHeadersToAdd: translateHeaderMutations(
      vh.requestHeadersToAdd,
      issues,
      `${path}.request_headers_to_add`,
    ),
    requestHeadersToRemove: (vh.requestHeadersToRemove ?? []).map((h) => h.toLowerCase()),
    responseHeadersToAdd: translateHeaderMutations(
      vh.responseHeadersToAdd,
      issues,
      `${path}.response_headers_to_add`,
    ),
    responseHeadersToRemove: (vh.responseHeadersToRemove ?? []).map((h) => h.toLowerCase()),
  };
  if (retry) out.retry = retry;
  const faultAny = vh.typedPerFilterConfig?.[FAULT_FILTER_NAME];
  if (faultAny) {
    const f = translateFaultAny(faultAny, issues, `${path}.typed_per_filter_config["${FAULT_FILTER_NAME}"]`);
    if (f) out.fault = f;
  }
  Object.assign(out, translateCorsFields(vh.typedPerFilterConfig, vh.cors, issues, path, 'cors'));
  return out;
}

function translateRoute(
  r: Route,
  issues: IssueList,
  path: string,
  clusters: Set<string>,
  vhRetry: RetryPolicyModel | undefined,
): RouteModel {
  const match = translateMatch(r.match, issues, `${path}.match`);
  let action: RouteActionModel;
  if (r.route) action = translateAction(r.route, issues, `${path}.route`, clusters, vhRetry);
  else if (r.directResponse) {
    const status = Number(r.directResponse.status ?? 0);
    if (status < 200 || status >= 600) {
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${path}.direct_response.status`,
        `${status} is outside 200..599`,
      );
    }
    const body = r.directResponse.body;
    const text = body?.inlineString ?? (body?.inlineBytes ? Buffer.from(body.inlineBytes).toString() : '');
    action = { kind: 'direct_response', status, body: text };
  } else if (r.redirect) {
    const rd = r.redirect;
    const codes: Record<number, number> = { 0: 301, 1: 302, 2: 303, 3: 307, 4: 308 };
    action = { kind: 'redirect', status: codes[Number(rd.responseCode ?? 0)] ?? 301 };
    if (rd.hostRedirect) action.host = rd.hostRedirect;
    if (rd.pathRedirect) action.path = rd.pathRedirect;
    if (rd.schemeRedirect) action.scheme = rd.schemeRedirect;
  } else {
    issues.add('PROXY_ERR_MISSING_FIELD', path, 'one of route, redirect, direct_response is required');
    action = { kind: 'direct_response', status: 500, body: '' };
  }
  const out: RouteModel = {
    name: r.name ?? '',
    match,
    action,
    requestHeadersToAdd: translateHeaderMutations(
      r.requestHeadersToAdd,
      issues,
      `${path}.request_headers_to_add`,
    ),
    requestHeadersToRemove: (r.requestHeadersToRemove ?? []).map((h) => h.toLowerCase()),
    responseHeadersToAdd: translateHeaderMutations(
      r.responseHeadersToAdd,
      issues,
      `${path}.response_headers_to_add`,
    ),
    responseHeadersToRemove: (r.responseHeadersToRemove ?? []).map((h) => h.toLowerCase()),
  };
  const faultAny = r.typedPerFilterConfig?.[FAULT_FILTER_NAME];
  if (faultAny) {
    const f = translateFaultAny(faultAny, issues, `${path}.typed_per_filter_config["${FAULT_FILTER_NAME}"]`);
    if (f) out.fault = f;
  }
  Object.assign(out, translateCorsFields(r.typedPerFilterConfig, r.route?.cors, issues, path, 'route.cors'));
  return out;
}

/** A route's or virtual host's CORS policies: the per-filter one, and the deprecated inline field. */
function translateCorsFields(
  perFilter: Route['typedPerFilterConfig'],
  legacy: envoy.config.route.v3.CorsPolicy.$Properties | null | undefined,
  issues: IssueList,
  path: string,
  legacyField: string,
): { cors?: CorsPolicyModel; legacyCors?: CorsPolicyModel } {
  const out: { cors?: CorsPolicyModel; legacyCors?: CorsPolicyModel } = {};
  const any = perFilter?.[CORS_FILTER_NAME];
  if (any) {
    const c = translateCorsPolicyAny(any, issues, `${path}.typed_per_filter_config["${CORS_FILTER_NAME}"]`);
    if (c) out.cors = c;
  }
  if (legacy) out.legacyCors = translateCorsPolicy(legacy, issues, `${path}.${legacyField}`);
  return out;
}

function translateMatch(m: RouteMatch | null | undefined, issues: IssueList, path: string): RouteMatchModel {
  let pm: PathMatch = { kind: 'prefix', value: '/' };
  if (!m) {
    issues.add('PROXY_ERR_MISSING_FIELD', path, 'a route match is required');
  } else if (m.prefix != null) pm = { kind: 'prefix', value: m.prefix };
  else if (m.path != null) pm = { kind: 'exact', value: m.path };
  else if (m.pathSeparatedPrefix != null) pm = { kind: 'separated_prefix', value: m.pathSeparatedPrefix };
  else if (m.safeRegex != null) {
    const source = m.safeRegex.regex ?? '';
    const regex = compileRegex(source, issues, `${path}.safe_regex.regex`);
    if (regex) pm = { kind: 'regex', source, regex };
  } else {
    issues.add(
      'PROXY_ERR_UNSUPPORTED',
      path,
      'a path specifier (prefix, path, safe_regex, path_separated_prefix) is required',
    );
  }
  return {
    path: pm,
    caseSensitive: wrapped(m?.caseSensitive, true),
    headers: (m?.headers ?? []).map((h, i) => translateHeaderMatcher(h, issues, `${path}.headers[${i}]`)),
    queryParams: (m?.queryParameters ?? []).map((q, i) => {
      const qp = `${path}.query_parameters[${i}]`;
      const name = q.name ?? '';
      if (!name) issues.add('PROXY_ERR_MISSING_FIELD', `${qp}.name`, 'a query parameter name is required');
      if (q.presentMatch != null) return { name, present: q.presentMatch };
      if (q.stringMatch) {
        const sm = translateStringMatcher(q.stringMatch, issues, `${qp}.string_match`);
        return sm ? { name, match: sm } : { name };
      }
      return { name, present: true };
    }),
    grpcOnly: m?.grpc != null,
  };
}

export function translateHeaderMatcher(h: HeaderMatcher, issues: IssueList, path: string): HeaderMatchModel {
  const name = (h.name ?? '').toLowerCase();
  if (!name) issues.add('PROXY_ERR_MISSING_FIELD', `${path}.name`, 'a header name is required');
  const out: HeaderMatchModel = {
    name,
    invert: h.invertMatch === true,
    treatMissingAsEmpty: h.treatMissingHeaderAsEmpty === true,
  };
  const legacy = (kind: 'exact' | 'prefix' | 'suffix' | 'contains', value: string): StringMatch => ({
    kind,
    value,
    ignoreCase: false,
  });
  if (h.stringMatch) {
    const sm = translateStringMatcher(h.stringMatch, issues, `${path}.string_match`);
    if (sm) out.match = sm;
  } else if (h.exactMatch != null) out.match = legacy('exact', h.exactMatch);
  else if (h.prefixMatch != null) out.match = legacy('prefix', h.prefixMatch);
  else if (h.suffixMatch != null) out.match = legacy('suffix', h.suffixMatch);
  else if (h.containsMatch != null) out.match = legacy('contains', h.containsMatch);
  else if (h.safeRegexMatch != null) {
    const source = h.safeRegexMatch.regex ?? '';
    const regex = compileRegex(source, issues, `${path}.safe_regex_match.regex`);
    if (regex) out.match = { kind: 'regex', source, regex };
  } else if (h.rangeMatch != null) {
    out.match = { kind: 'range', start: Number(h.rangeMatch.start ?? 0), end: Number(h.rangeMatch.end ?? 0) };
  } else if (h.presentMatch != null) out.present = h.presentMatch;
  else out.present = true;
  return out;
}

export function translateRetry(rp: RetryPolicy, issues: IssueList, path: string): RetryPolicyModel {
  const retryOn = new Set<string>();
  for (const raw of (rp.retryOn ?? '').split(',')) {
    const s = raw.trim();
    if (!s) continue;
    if (!(RETRY_ON as readonly string[]).includes(s)) {
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${path}.retry_on`,
        `"${s}" is not one of ${RETRY_ON.join(', ')}`,
      );
      continue;
    }
    retryOn.add(s);
  }
  const out: RetryPolicyModel = {
    retryOn,
    numRetries: wrapped(rp.numRetries, 1),
    retriableStatusCodes: (rp.retriableStatusCodes ?? []).map(Number),
    backoffBaseMs: durationMs(rp.retryBackOff?.baseInterval, 25),
    backoffMaxMs: 0,
    avoidPreviousHosts: (rp.retryHostPredicate ?? []).some(
      (p) => p.name === 'envoy.retry_host_predicates.previous_hosts',
    ),
    hostSelectionMaxAttempts: Math.max(1, Number(rp.hostSelectionRetryMaxAttempts ?? 1)),
  };
  (rp.retryHostPredicate ?? []).forEach((p, i) => {
    if (p.name !== 'envoy.retry_host_predicates.previous_hosts') {
      issues.add(
        'PROXY_ERR_UNSUPPORTED',
        `${path}.retry_host_predicate[${i}]`,
        `retry host predicate "${p.name}" is not supported`,
      );
    }
  });
  out.backoffMaxMs = durationMs(rp.retryBackOff?.maxInterval, out.backoffBaseMs * 10);
  const pt = durationMs(rp.perTryTimeout);
  if (pt) out.perTryTimeoutMs = pt;
  if (out.numRetries > 100)
    issues.add('PROXY_ERR_INVALID_VALUE', `${path}.num_retries`, `${out.numRetries} is above 100`);
  return out;
}

function translateAction(
  a: RouteAction,
  issues: IssueList,
  path: string,
  clusters: Set<string>,
  vhRetry: RetryPolicyModel | undefined,
): ForwardActionModel {
  const wcs: WeightedClusterModel[] = [];
  let totalWeight = 0;
  let clusterHeader: string | undefined;
  const plain = (name: string, weight: number): WeightedClusterModel => ({
    name,
    weight,
    requestHeadersToAdd: [],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    responseHeadersToRemove: [],
  });
  if (a.cluster) {
    wcs.push(plain(a.cluster, 1));
    totalWeight = 1;
  } else if (a.weightedClusters) {
    const wc = a.weightedClusters;
    (wc.clusters ?? []).forEach((c, i) => {
      const cp = `${path}.weighted_clusters.clusters[${i}]`;
      if (!c.name) issues.add('PROXY_ERR_MISSING_FIELD', `${cp}.name`, 'a cluster name is required');
      const weight = wrapped(c.weight, 0);
      wcs.push({
        name: c.name ?? '',
        weight,
        requestHeadersToAdd: translateHeaderMutations(
          c.requestHeadersToAdd,
          issues,
          `${cp}.request_headers_to_add`,
        ),
        requestHeadersToRemove: (c.requestHeadersToRemove ?? []).map((h) => h.toLowerCase()),
        responseHeadersToAdd: translateHeaderMutations(
          c.responseHeadersToAdd,
          issues,
          `${cp}.response_headers_to_add`,
        ),
        responseHeadersToRemove: (c.responseHeadersToRemove ?? []).map((h) => h.toLowerCase()),
      });
    });
    const sum = checkWeightSum(
      wcs.map((c) => c.weight),
      issues,
      `${path}.weighted_clusters`,
    );
    // total_weight is deprecated in Envoy; when a control plane still sends it, it must be the sum.
    const declared = wrapped(wc.totalWeight, 0);
    if (declared && declared !== sum) {
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${path}.weighted_clusters.total_weight`,
        `weights sum to ${sum}, not ${declared}`,
      );
    }
    totalWeight = sum;
  } else if (a.clusterHeader) {
    clusterHeader = a.clusterHeader.toLowerCase();
  } else {
    issues.add(
      'PROXY_ERR_MISSING_FIELD',
      path,
      'one of cluster, weighted_clusters, cluster_header is required',
    );
  }
  for (const c of wcs) if (c.name) clusters.add(c.name);
  const out: ForwardActionModel = {
    kind: 'forward',
    clusters: wcs,
    totalWeight,
    timeoutMs: durationMs(a.timeout, DEFAULT_ROUTE_TIMEOUT_MS),
    mirrors: (a.requestMirrorPolicies ?? []).map((m, i) => {
      if (!m.cluster)
        issues.add(
          'PROXY_ERR_MISSING_FIELD',
          `${path}.request_mirror_policies[${i}].cluster`,
          'a cluster is required',
        );
      if (m.cluster) clusters.add(m.cluster);
      return { cluster: m.cluster ?? '', probability: fraction(m.runtimeFraction?.defaultValue, 1) };
    }),
    hashPolicy: (a.hashPolicy ?? []).flatMap((h, i): HashPolicyModel[] => {
      const terminal = h.terminal === true;
      if (h.header?.headerName)
        return [{ kind: 'header', name: h.header.headerName.toLowerCase(), terminal }];
      if (h.connectionProperties?.sourceIp) return [{ kind: 'source_ip', terminal }];
      if (h.queryParameter?.name) return [{ kind: 'query', name: h.queryParameter.name, terminal }];
      if (h.cookie?.name) return [{ kind: 'cookie', name: h.cookie.name, terminal }];
      issues.add(
        'PROXY_ERR_UNSUPPORTED',
        `${path}.hash_policy[${i}]`,
        'only header, source_ip, query_parameter and cookie hash policies are supported',
      );
      return [];
    }),
  };
  if (clusterHeader) out.clusterHeader = clusterHeader;
  const idle = durationMs(a.idleTimeout);
  if (idle) out.idleTimeoutMs = idle;
  const retry = a.retryPolicy ? translateRetry(a.retryPolicy, issues, `${path}.retry_policy`) : vhRetry;
  if (retry) out.retry = retry;
  if (a.prefixRewrite) out.prefixRewrite = a.prefixRewrite;
  if (a.hostRewriteLiteral) out.hostRewrite = a.hostRewriteLiteral;
  return out;
}

export { matchString };
