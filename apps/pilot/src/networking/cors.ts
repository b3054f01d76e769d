// VirtualService `corsPolicy` to Envoy's route-level CorsPolicy, the shape Istio emits today: packed into
// the route's typed_per_filter_config["envoy.filters.http.cors"], read by the envoy.filters.http.cors
// filter that every sidecar HCM carries before the router. Pure.
import { type CorsPolicy, parseDuration, type StringMatch } from '@strait/config';
import type { envoy } from '@strait/xds';

export type EnvoyCorsPolicy = envoy.config.route.v3.CorsPolicy.$Properties;
type StringMatcher = envoy.type.matcher.v3.StringMatcher.$Properties;

export const CORS_FILTER_NAME = 'envoy.filters.http.cors';

function originMatcher(m: StringMatch): StringMatcher | undefined {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safeRegex: { regex: m.regex } };
  return undefined;
}

export function translateCorsPolicy(cors: CorsPolicy): EnvoyCorsPolicy {
  const out: EnvoyCorsPolicy = {
    // Istio always sets the filter to 100 % enabled: a policy present is a policy in force.
    filterEnabled: { defaultValue: { numerator: 100, denominator: 0 /* HUNDRED */ } },
    // Envoy >= 1.30 answers non-matching preflights itself unless told otherwise; Istio keeps the
    // older forwarding behaviour unless the user asks for IGNORE.
    forwardNotMatchingPreflights: { value: cors.unmatchedPreflights !== 'IGNORE' },
  };
  // allowOrigins wins over the deprecated allowOrigin (exact strings), as in Istio.
  const origins = cors.allowOrigins
    ? cors.allowOrigins.map(originMatcher).filter((m): m is StringMatcher => m !== undefined)
    : (cors.allowOrigin ?? []).map((o) => ({ exact: o }));
  if (origins.length > 0) out.allowOriginStringMatch = origins;
  if (cors.allowMethods?.length) out.allowMethods = cors.allowMethods.join(',');
  if (cors.allowHeaders?.length) out.allowHeaders = cors.allowHeaders.join(',');
  if (cors.exposeHeaders?.length) out.exposeHeaders = cors.exposeHeaders.join(',');
  // Envoy's max_age is a string of whole seconds (the validator already requires whole seconds).
  const maxAgeMs = cors.maxAge === undefined ? undefined : parseDuration(cors.maxAge);
  if (maxAgeMs !== undefined) out.maxAge = String(Math.floor(maxAgeMs / 1000));
  if (cors.allowCredentials !== undefined) out.allowCredentials = { value: cors.allowCredentials };
  return out;
}
