// The CORS filter's decisions, as Envoy's envoy.filters.http.cors makes them. Pure: the HCM calls
// decideCors once a route is chosen and applies the result (a local preflight answer, or headers for
// whatever response the request ends with, local replies included).
//
// Policies are the route's, then the virtual host's: a value comes from the first policy that sets
// it; whether CORS is enforced at all is decided by the most specific policy alone.
import { matchString } from '../../model/common.js';
import { type Headers, headerValue } from '../../protocols/types.js';
import type { CorsPolicyModel } from './config.js';

export type CorsDecision =
  /** Not a CORS request, or no policy in force: the filter does nothing. */
  | { kind: 'none' }
  /** A preflight answered here: 200, these headers, no body; the request goes no further. */
  | { kind: 'preflight'; headers: Headers; originAllowed: boolean }
  /** Continue; `responseHeaders` (empty when the origin is not allowed) go on the response. */
  | { kind: 'continue'; responseHeaders: Headers; originAllowed: boolean };

function first<T>(
  policies: readonly CorsPolicyModel[],
  pick: (p: CorsPolicyModel) => T | undefined,
): T | undefined {
  for (const p of policies) {
    const v = pick(p);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function originAllowed(policies: readonly CorsPolicyModel[], origin: string): boolean {
  const matchers = policies.find((p) => p.allowOrigins.length > 0)?.allowOrigins ?? [];
  // Envoy also treats a matcher that accepts the literal "*" as "any origin".
  return matchers.some((m) => matchString(m, '*') || matchString(m, origin));
}

export interface CorsRequest {
  method: string;
  headers: Headers;
}

export function decideCors(
  policies: readonly CorsPolicyModel[],
  req: CorsRequest,
  random: () => number,
): CorsDecision {
  const top = policies[0];
  if (!top) return { kind: 'none' };
  const enabled = top.enabled >= 1 || (top.enabled > 0 && random() < top.enabled);
  const shadow = !enabled && (top.shadow >= 1 || (top.shadow > 0 && random() < top.shadow));
  if (!enabled && !shadow) return { kind: 'none' };
  const origin = headerValue(req.headers, 'origin');
  if (!origin) return { kind: 'none' };
  const allowed = originAllowed(policies, origin);
  // Shadow mode only counts: the caller records originAllowed, nothing else changes.
  if (!enabled) return { kind: 'continue', responseHeaders: {}, originAllowed: allowed };

  const credentials = first(policies, (p) => p.allowCredentials) === true;
  const requestMethod = headerValue(req.headers, 'access-control-request-method');
  if (req.method === 'OPTIONS' && requestMethod) {
    const forward = first(policies, (p) => p.forwardNotMatchingPreflights) ?? true;
    if (allowed || !forward) {
      // A non-matching preflight answered here still gets the policy's other headers, only no
      // allow-origin (which is what makes the browser refuse), as Envoy does.
      const h: Headers = {};
      if (allowed) h['access-control-allow-origin'] = origin;
      if (credentials) h['access-control-allow-credentials'] = 'true';
      const methods = first(policies, (p) => p.allowMethods);
      if (methods) h['access-control-allow-methods'] = methods === '*' ? requestMethod : methods;
      const allowHeaders = first(policies, (p) => p.allowHeaders);
      if (allowHeaders) {
        h['access-control-allow-headers'] =
          allowHeaders === '*'
            ? (headerValue(req.headers, 'access-control-request-headers') ?? '')
            : allowHeaders;
      }
      const maxAge = first(policies, (p) => p.maxAge);
      if (maxAge) h['access-control-max-age'] = maxAge;
      if (
        first(policies, (p) => p.allowPrivateNetworkAccess) === true &&
        headerValue(req.headers, 'access-control-request-private-network') === 'true'
      ) {
        h['access-control-allow-private-network'] = 'true';
      }
      return { kind: 'preflight', headers: h, originAllowed: allowed };
    }
    // A non-matching preflight forwarded upstream gets no CORS headers on its answer.
  }
  if (!allowed) return { kind: 'continue', responseHeaders: {}, originAllowed: false };
  const out: Headers = { 'access-control-allow-origin': origin };
  if (credentials) out['access-control-allow-credentials'] = 'true';
  const expose = first(policies, (p) => p.exposeHeaders);
  if (expose) out['access-control-expose-headers'] = expose;
  return { kind: 'continue', responseHeaders: out, originAllowed: true };
}
