// RDS resources: virtual hosts, matches, weighted clusters, timeouts and retries, shaped as Istio
// renders a VirtualService.
import type {
  HeaderMatcher,
  Route,
  RouteAction,
  RouteConfiguration,
  RouteMatch,
  VirtualHost,
} from '../codec/types.js';
import { XdsInvalidArgumentError } from '../errors.js';
import { checkNonEmpty, checkWeight, durationMs } from './common.js';

export type HeaderMatchSpec =
  | { name: string; exact: string; invert?: boolean }
  | { name: string; prefix: string; invert?: boolean }
  | { name: string; regex: string; invert?: boolean }
  | { name: string; present: boolean; invert?: boolean };

export type PathMatchSpec = { prefix: string } | { path: string } | { regex: string };

export interface WeightedDestination {
  cluster: string;
  weight: number;
}

export interface RetrySpec {
  attempts: number;
  perTryTimeoutMs?: number;
  /** Envoy retry_on list; Istio's default. */
  retryOn?: string;
}

export interface RouteSpec {
  name?: string;
  match?: PathMatchSpec & { headers?: HeaderMatchSpec[]; caseSensitive?: boolean };
  /** One destination, or several with relative weights (Envoy sums them: above 0, at most 2^32-1). */
  cluster?: string;
  weightedClusters?: WeightedDestination[];
  /** Request timeout in ms; 0 disables it (Istio's default for HTTP routes). */
  timeoutMs?: number;
  retries?: RetrySpec;
  prefixRewrite?: string;
  hostRewrite?: string;
}

export interface VirtualHostSpec {
  name: string;
  domains: string[];
  routes: RouteSpec[];
}

export interface RouteConfigurationSpec {
  name: string;
  virtualHosts: VirtualHostSpec[];
  /** Envoy checks named clusters exist when true; Istio sends false (clusters can arrive later). */
  validateClusters?: boolean;
}

/** Istio's default retry policy for HTTP routes. */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

function headerMatcher(spec: HeaderMatchSpec, path: string): HeaderMatcher {
  checkNonEmpty(spec.name, `${path}.name`);
  const out: HeaderMatcher = { name: spec.name };
  if ('exact' in spec) out.stringMatch = { exact: spec.exact };
  else if ('prefix' in spec) out.stringMatch = { prefix: spec.prefix };
  else if ('regex' in spec) out.stringMatch = { safeRegex: { regex: spec.regex } };
  else out.presentMatch = spec.present;
  if (spec.invert) out.invertMatch = true;
  return out;
}

function routeMatch(spec: RouteSpec['match'], path: string): RouteMatch {
  const out: RouteMatch = {};
  if (spec === undefined) {
    out.prefix = '/';
    return out;
  }
  if ('prefix' in spec) out.prefix = spec.prefix;
  else if ('path' in spec) out.path = spec.path;
  else if ('regex' in spec) out.safeRegex = { regex: spec.regex };
  else throw new XdsInvalidArgumentError(`${path}`, 'needs one of prefix, path or regex');
  if (spec.caseSensitive === false) out.caseSensitive = { value: false };
  if (spec.headers && spec.headers.length > 0) {
    out.headers = spec.headers.map((h, i) => headerMatcher(h, `${path}.headers[${i}]`));
  }
  return out;
}

function routeAction(spec: RouteSpec, path: string): RouteAction {
  const action: RouteAction = {};
  if (spec.cluster !== undefined && spec.weightedClusters !== undefined) {
    throw new XdsInvalidArgumentError(path, 'cluster and weightedClusters are mutually exclusive');
  }
  if (spec.cluster !== undefined) {
    checkNonEmpty(spec.cluster, `${path}.cluster`);
    action.cluster = spec.cluster;
  } else if (spec.weightedClusters !== undefined && spec.weightedClusters.length > 0) {
    let total = 0;
    const clusters = spec.weightedClusters.map((w, i) => {
      checkNonEmpty(w.cluster, `${path}.weightedClusters[${i}].cluster`);
      checkWeight(w.weight, `${path}.weightedClusters[${i}].weight`);
      total += w.weight;
      return { name: w.cluster, weight: { value: w.weight } };
    });
    if (total === 0) throw new XdsInvalidArgumentError(`${path}.weightedClusters`, 'weights add up to 0');
    // Envoy refuses a weighted_clusters sum beyond uint32 (it is the random draw's range).
    if (total > 0xffffffff)
      throw new XdsInvalidArgumentError(
        `${path}.weightedClusters`,
        `weights add up to ${total}, above 4294967295`,
      );
    action.weightedClusters = { clusters };
  } else {
    throw new XdsInvalidArgumentError(path, 'needs cluster or weightedClusters');
  }
  // Istio's HTTP default: no request timeout unless the VirtualService sets one.
  action.timeout = durationMs(spec.timeoutMs ?? 0, `${path}.timeoutMs`);
  if (spec.retries !== undefined && spec.retries.attempts > 0) {
    const retry: NonNullable<RouteAction['retryPolicy']> = {
      retryOn: spec.retries.retryOn ?? DEFAULT_RETRY_ON,
      numRetries: { value: spec.retries.attempts },
    };
    if (spec.retries.perTryTimeoutMs !== undefined) {
      retry.perTryTimeout = durationMs(spec.retries.perTryTimeoutMs, `${path}.retries.perTryTimeoutMs`);
    }
    // Istio skips hosts that already failed this request.
    retry.retryHostPredicate = [{ name: 'envoy.retry_host_predicates.previous_hosts' }];
    retry.hostSelectionRetryMaxAttempts = 5;
    action.retryPolicy = retry;
  }
  if (spec.prefixRewrite !== undefined) action.prefixRewrite = spec.prefixRewrite;
  if (spec.hostRewrite !== undefined) action.hostRewriteLiteral = spec.hostRewrite;
  return action;
}

export function buildRoute(spec: RouteSpec, path = 'route'): Route {
  const out: Route = { match: routeMatch(spec.match, `${path}.match`), route: routeAction(spec, path) };
  if (spec.name) out.name = spec.name;
  return out;
}

export function buildVirtualHost(spec: VirtualHostSpec, path = 'virtualHost'): VirtualHost {
  checkNonEmpty(spec.name, `${path}.name`);
  if (spec.domains.length === 0)
    throw new XdsInvalidArgumentError(`${path}.domains`, 'needs at least one domain');
  return {
    name: spec.name,
    domains: [...spec.domains],
    routes: spec.routes.map((r, i) => buildRoute(r, `${path}.routes[${i}]`)),
  };
}

export function buildRouteConfiguration(spec: RouteConfigurationSpec): RouteConfiguration {
  checkNonEmpty(spec.name, 'name');
  const seen = new Set<string>();
  for (const [i, vh] of spec.virtualHosts.entries()) {
    for (const d of vh.domains) {
      // Envoy rejects a RouteConfiguration in which two virtual hosts claim the same domain.
      if (seen.has(d))
        throw new XdsInvalidArgumentError(`virtualHosts[${i}].domains`, `duplicate domain "${d}"`);
      seen.add(d);
    }
  }
  return {
    name: spec.name,
    virtualHosts: spec.virtualHosts.map((vh, i) => buildVirtualHost(vh, `virtualHosts[${i}]`)),
    validateClusters: { value: spec.validateClusters ?? false },
  };
}

/**
 * Istio's domain list for a service reached from `namespace`: short name, name.namespace, FQDN, each
 * with and without the port.
 */
export function serviceDomains(host: string, port: number, clientNamespace?: string): string[] {
  const parts = host.split('.');
  const names = new Set<string>([host]);
  if (parts.length >= 2 && host.endsWith('.svc.cluster.local')) {
    names.add(`${parts[0]}.${parts[1]}`);
    names.add(`${parts[0]}.${parts[1]}.svc`);
    if (clientNamespace === parts[1]) names.add(parts[0]!);
  }
  const out: string[] = [];
  for (const n of names) out.push(n, `${n}:${port}`);
  return out;
}
