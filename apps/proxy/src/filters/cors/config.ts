// envoy.filters.http.cors: the filter's own typed config (Cors, empty) and the policies it reads, a
// route's or virtual host's typed_per_filter_config["envoy.filters.http.cors"] (CorsPolicy), else the
// deprecated `cors` fields of RouteAction and VirtualHost. CorsPolicy -> CorsPolicyModel.
import type { envoy } from '@strait/xds';
import { type AnyLike, unpackAny } from '../../config/any.js';
import type { IssueList } from '../../errors.js';
import { fraction, type StringMatch, translateStringMatcher, wrapped } from '../../model/common.js';

export const CORS_FILTER_NAME = 'envoy.filters.http.cors';
export const CORS_TYPE = 'envoy.extensions.filters.http.cors.v3.Cors';
export const CORS_POLICY_TYPE = 'envoy.config.route.v3.CorsPolicy';

type CorsPolicy = envoy.config.route.v3.CorsPolicy.$Properties;

export interface CorsPolicyModel {
  allowOrigins: StringMatch[];
  /** Comma-separated header values as configured; "" = not set (the next policy's value applies). */
  allowMethods: string;
  allowHeaders: string;
  exposeHeaders: string;
  maxAge: string;
  allowCredentials?: boolean;
  allowPrivateNetworkAccess?: boolean;
  forwardNotMatchingPreflights?: boolean;
  /** Share of requests the policy is enforced for (filter_enabled's default; 1 when unset). */
  enabled: number;
  /** Share of requests only counted, not enforced (shadow_enabled's default; 0 when unset). */
  shadow: number;
}

export function translateCorsPolicy(p: CorsPolicy, issues: IssueList, path: string): CorsPolicyModel {
  const allowOrigins: StringMatch[] = [];
  (p.allowOriginStringMatch ?? []).forEach((m, i) => {
    const sm = translateStringMatcher(m, issues, `${path}.allow_origin_string_match[${i}]`);
    if (sm) allowOrigins.push(sm);
  });
  if (p.maxAge && !/^\d+$/.test(p.maxAge))
    issues.add('PROXY_ERR_INVALID_VALUE', `${path}.max_age`, `"${p.maxAge}" is not a number of seconds`);
  const out: CorsPolicyModel = {
    allowOrigins,
    allowMethods: p.allowMethods ?? '',
    allowHeaders: p.allowHeaders ?? '',
    exposeHeaders: p.exposeHeaders ?? '',
    maxAge: p.maxAge ?? '',
    // Runtime overrides do not exist here: the default fraction is the value (as for fault percentages).
    enabled: p.filterEnabled ? fraction(p.filterEnabled.defaultValue, 0) : 1,
    shadow: p.shadowEnabled ? fraction(p.shadowEnabled.defaultValue, 0) : 0,
  };
  const credentials = wrapped(p.allowCredentials);
  if (credentials !== undefined) out.allowCredentials = credentials;
  const pna = wrapped(p.allowPrivateNetworkAccess);
  if (pna !== undefined) out.allowPrivateNetworkAccess = pna;
  const forward = wrapped(p.forwardNotMatchingPreflights);
  if (forward !== undefined) out.forwardNotMatchingPreflights = forward;
  return out;
}

export function translateCorsPolicyAny(
  any: AnyLike | null | undefined,
  issues: IssueList,
  path: string,
): CorsPolicyModel | undefined {
  const p = unpackAny<CorsPolicy>(any, [CORS_POLICY_TYPE], issues, path);
  return p ? translateCorsPolicy(p, issues, path) : undefined;
}
