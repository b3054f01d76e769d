// The CORS filter's decisions (Envoy's envoy.filters.http.cors) and the translation of its configs:
// per-route/virtual-host CorsPolicy, the deprecated inline fields, and the filter entry in the HCM.
import { CorsCodec, CorsPolicyCodec, type envoy, pack, RouterCodec } from '@strait/xds';
import { describe, expect, it } from 'vitest';
import { IssueList } from '../../../src/errors.js';
import type { CorsPolicyModel } from '../../../src/filters/cors/config.js';
import { decideCors } from '../../../src/filters/cors/filter.js';
import { translateHcm } from '../../../src/filters/http_connection_manager/config.js';
import { translateRouteConfiguration } from '../../../src/model/route.js';

type CorsPolicy = envoy.config.route.v3.CorsPolicy.$Properties;

function policy(p: Partial<CorsPolicyModel> = {}): CorsPolicyModel {
  return {
    allowOrigins: [{ kind: 'exact', value: 'https://a.test', ignoreCase: false }],
    allowMethods: '',
    allowHeaders: '',
    exposeHeaders: '',
    maxAge: '',
    enabled: 1,
    shadow: 0,
    ...p,
  };
}

const never = () => {
  throw new Error('no sampling expected');
};
const preflight = (origin: string, extra: Record<string, string> = {}) => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': 'DELETE', ...extra },
});

describe('decideCors', () => {
  it('does nothing without a policy, without an Origin, or when the policy is disabled', () => {
    expect(decideCors([], preflight('https://a.test'), never).kind).toBe('none');
    expect(decideCors([policy()], { method: 'GET', headers: {} }, never).kind).toBe('none');
    expect(decideCors([policy({ enabled: 0 })], preflight('https://a.test'), never).kind).toBe('none');
  });

  it('answers an allowed preflight with every configured header', () => {
    const d = decideCors(
      [
        policy({
          allowMethods: 'GET,DELETE',
          allowHeaders: 'x-a',
          maxAge: '60',
          allowCredentials: true,
          exposeHeaders: 'x-e',
        }),
      ],
      preflight('https://a.test'),
      never,
    );
    expect(d).toEqual({
      kind: 'preflight',
      originAllowed: true,
      headers: {
        'access-control-allow-origin': 'https://a.test',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET,DELETE',
        'access-control-allow-headers': 'x-a',
        'access-control-max-age': '60',
      },
    });
  });

  it('echoes the requested method and headers for "*"', () => {
    const d = decideCors(
      [policy({ allowMethods: '*', allowHeaders: '*' })],
      preflight('https://a.test', { 'access-control-request-headers': 'x-one, x-two' }),
      never,
    );
    expect(d.kind === 'preflight' && d.headers).toEqual({
      'access-control-allow-origin': 'https://a.test',
      'access-control-allow-methods': 'DELETE',
      'access-control-allow-headers': 'x-one, x-two',
    });
  });

  it('forwards a non-matching preflight by default, answers it without allow-origin when told not to', () => {
    expect(decideCors([policy()], preflight('https://b.test'), never)).toEqual({
      kind: 'continue',
      responseHeaders: {},
      originAllowed: false,
    });
    const d = decideCors(
      [policy({ forwardNotMatchingPreflights: false, allowMethods: 'GET' })],
      preflight('https://b.test'),
      never,
    );
    expect(d).toEqual({
      kind: 'preflight',
      originAllowed: false,
      headers: { 'access-control-allow-methods': 'GET' },
    });
  });

  it('treats OPTIONS without Access-Control-Request-Method as an actual request', () => {
    const d = decideCors([policy()], { method: 'OPTIONS', headers: { origin: 'https://a.test' } }, never);
    expect(d).toEqual({
      kind: 'continue',
      originAllowed: true,
      responseHeaders: { 'access-control-allow-origin': 'https://a.test' },
    });
  });

  it('adds allow-origin, credentials and expose headers to actual requests from allowed origins only', () => {
    const p = policy({ allowCredentials: true, exposeHeaders: 'x-e', allowMethods: 'GET' });
    expect(decideCors([p], { method: 'GET', headers: { origin: 'https://a.test' } }, never)).toEqual({
      kind: 'continue',
      originAllowed: true,
      responseHeaders: {
        'access-control-allow-origin': 'https://a.test',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-e',
      },
    });
    expect(decideCors([p], { method: 'GET', headers: { origin: 'https://x.test' } }, never)).toEqual({
      kind: 'continue',
      originAllowed: false,
      responseHeaders: {},
    });
  });

  it('allows any origin when a matcher accepts "*", echoing the request origin', () => {
    const star = policy({ allowOrigins: [{ kind: 'exact', value: '*', ignoreCase: false }] });
    const d = decideCors([star], { method: 'GET', headers: { origin: 'https://z.test' } }, never);
    expect(d.kind === 'continue' && d.responseHeaders['access-control-allow-origin']).toBe('https://z.test');
  });

  it('takes each value from the most specific policy that sets it, enforcement from the first', () => {
    const route = policy({ allowOrigins: [], maxAge: '5' });
    const vhost = policy({ maxAge: '99', allowMethods: 'PUT' });
    const d = decideCors([route, vhost], preflight('https://a.test'), never);
    expect(d.kind === 'preflight' && d.headers).toEqual({
      'access-control-allow-origin': 'https://a.test',
      'access-control-allow-methods': 'PUT',
      'access-control-max-age': '5',
    });
    expect(decideCors([policy({ enabled: 0 }), vhost], preflight('https://a.test'), never).kind).toBe('none');
  });

  it('samples filter_enabled and only counts in shadow mode', () => {
    const half = [policy({ enabled: 0.5 })];
    expect(decideCors(half, preflight('https://a.test'), () => 0.2).kind).toBe('preflight');
    expect(decideCors(half, preflight('https://a.test'), () => 0.7).kind).toBe('none');
    expect(decideCors([policy({ enabled: 0, shadow: 1 })], preflight('https://a.test'), never)).toEqual({
      kind: 'continue',
      responseHeaders: {},
      originAllowed: true,
    });
  });
});

function routeTable(perRoute: CorsPolicy | undefined, legacy?: CorsPolicy) {
  return translateRouteConfiguration({
    name: 'rc',
    virtualHosts: [
      {
        name: 'vh',
        domains: ['*'],
        ...(legacy ? { cors: legacy } : {}),
        routes: [
          {
            match: { prefix: '/' },
            route: { cluster: 'c' },
            ...(perRoute
              ? { typedPerFilterConfig: { 'envoy.filters.http.cors': pack(CorsPolicyCodec, perRoute) } }
              : {}),
          },
        ],
      },
    ],
  });
}

describe('CorsPolicy translation', () => {
  it('reads typed_per_filter_config into the route model', () => {
    const t = routeTable({
      allowOriginStringMatch: [{ exact: 'https://a' }, { safeRegex: { regex: 'https://.*\\.b' } }],
      allowMethods: 'GET',
      maxAge: '30',
      allowCredentials: { value: true },
      filterEnabled: { defaultValue: { numerator: 100 } },
      forwardNotMatchingPreflights: { value: false },
    });
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    const cors = t.value.virtualHosts[0]!.routes[0]!.cors!;
    expect(cors.allowOrigins.map((m) => m.kind)).toEqual(['exact', 'regex']);
    expect(cors).toMatchObject({
      allowMethods: 'GET',
      maxAge: '30',
      allowCredentials: true,
      forwardNotMatchingPreflights: false,
      enabled: 1,
      shadow: 0,
    });
  });

  it('keeps the deprecated VirtualHost.cors as a fallback policy', () => {
    const t = routeTable(undefined, { allowOriginStringMatch: [{ prefix: 'https://' }] });
    expect(t.ok && t.value.virtualHosts[0]!.legacyCors?.allowOrigins).toEqual([
      { kind: 'prefix', value: 'https://', ignoreCase: false },
    ]);
  });

  it('rejects a bad origin regex and a non-numeric max_age, naming the field', () => {
    const t = routeTable({ allowOriginStringMatch: [{ safeRegex: { regex: '(' } }], maxAge: '10s' });
    expect(t.ok).toBe(false);
    if (t.ok) return;
    expect(t.issues.map((i) => [i.code, i.path])).toEqual([
      [
        'PROXY_ERR_INVALID_REGEX',
        'virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.cors"].allow_origin_string_match[0].safe_regex.regex',
      ],
      [
        'PROXY_ERR_INVALID_VALUE',
        'virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.cors"].max_age',
      ],
    ]);
  });
});

describe('the CORS filter in the HCM', () => {
  const hcm = (
    filters: envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.$Properties[],
  ) => {
    const issues = new IssueList('Listener "l"');
    const config = translateHcm(
      { statPrefix: 'p', rds: { routeConfigName: 'r' }, httpFilters: filters },
      issues,
      'hcm',
    );
    return { config, issues: issues.items };
  };
  const router = { name: 'envoy.filters.http.router', typedConfig: pack(RouterCodec, {}) };

  it('is accepted before the router', () => {
    const { config, issues } = hcm([
      { name: 'envoy.filters.http.cors', typedConfig: pack(CorsCodec, {}) },
      router,
    ]);
    expect(issues).toEqual([]);
    expect(config.httpFilters.map((f) => f.kind)).toEqual(['cors', 'router']);
  });

  it('is rejected with a CorsPolicy (the per-route type) as its typed_config, naming the field', () => {
    const { issues } = hcm([
      { name: 'envoy.filters.http.cors', typedConfig: pack(CorsPolicyCodec, {}) },
      router,
    ]);
    expect(issues.map((i) => i.path)).toEqual(['hcm.http_filters[0].typed_config']);
  });
});
