// corsPolicy translation: the Envoy CorsPolicy Istio emits, and where it lands on the route (the
// typed_per_filter_config of envoy.filters.http.cors, never for proxyless gRPC).
import { type CorsPolicy, type VirtualService, validate } from '@strait/config';
import { CorsPolicyCodec, unpackAs } from '@strait/xds';
import { describe, expect, it } from 'vitest';
import { buildPushContext } from '../../src/model/push-context.js';
import { httpFilters } from '../../src/networking/any.js';
import { CORS_FILTER_NAME, translateCorsPolicy } from '../../src/networking/cors.js';
import { translateHttpRoute } from '../../src/networking/routes.js';

describe('translateCorsPolicy', () => {
  it('maps every field the way Istio does', () => {
    const out = translateCorsPolicy({
      allowOrigins: [{ exact: 'https://a.example' }, { prefix: 'https://b.' }, { regex: 'https://.*\\.c' }],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['x-one', 'x-two'],
      exposeHeaders: ['x-trace'],
      maxAge: '1m30s',
      allowCredentials: false,
    });
    expect(out).toEqual({
      allowOriginStringMatch: [
        { exact: 'https://a.example' },
        { prefix: 'https://b.' },
        { safeRegex: { regex: 'https://.*\\.c' } },
      ],
      allowMethods: 'GET,POST',
      allowHeaders: 'x-one,x-two',
      exposeHeaders: 'x-trace',
      maxAge: '90',
      allowCredentials: { value: false },
      filterEnabled: { defaultValue: { numerator: 100, denominator: 0 } },
      forwardNotMatchingPreflights: { value: true },
    });
  });

  it('uses the deprecated allowOrigin as exact matches only when allowOrigins is absent', () => {
    expect(translateCorsPolicy({ allowOrigin: ['https://x', 'https://y'] }).allowOriginStringMatch).toEqual([
      { exact: 'https://x' },
      { exact: 'https://y' },
    ]);
    expect(
      translateCorsPolicy({ allowOrigin: ['https://x'], allowOrigins: [{ prefix: 'https://z' }] })
        .allowOriginStringMatch,
    ).toEqual([{ prefix: 'https://z' }]);
  });

  it('forwards unmatched preflights unless unmatchedPreflights is IGNORE', () => {
    const fwd = (u?: CorsPolicy['unmatchedPreflights']) =>
      translateCorsPolicy(u === undefined ? {} : { unmatchedPreflights: u }).forwardNotMatchingPreflights;
    expect(fwd()).toEqual({ value: true });
    expect(fwd('UNSPECIFIED')).toEqual({ value: true });
    expect(fwd('FORWARD')).toEqual({ value: true });
    expect(fwd('IGNORE')).toEqual({ value: false });
  });

  it('leaves unset fields unset (Envoy then adds no such header)', () => {
    const out = translateCorsPolicy({ allowOrigins: [{ exact: 'https://a' }] });
    expect(Object.keys(out).sort()).toEqual([
      'allowOriginStringMatch',
      'filterEnabled',
      'forwardNotMatchingPreflights',
    ]);
  });
});

describe('corsPolicy on routes and the HCM filter chain', () => {
  const r = validate({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      hosts: ['web.default.svc.cluster.local'],
      http: [
        {
          corsPolicy: { allowOrigins: [{ exact: 'https://a' }], maxAge: '10s' },
          route: [{ destination: { host: 'web.default.svc.cluster.local' } }],
        },
      ],
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const vs = r.object as VirtualService;
  const ctx = buildPushContext({
    version: '1',
    architecture: 'three-in-one',
    config: [vs],
    instances: new Map(),
  });

  it('packs the policy into typed_per_filter_config["envoy.filters.http.cors"] for sidecars', () => {
    const [route] = translateHttpRoute(ctx, vs, vs.spec.http![0]!, 0, 80, { forGrpc: false });
    const any = route!.typedPerFilterConfig?.[CORS_FILTER_NAME];
    expect(any?.type_url).toBe('type.googleapis.com/envoy.config.route.v3.CorsPolicy');
    const policy = unpackAs(CorsPolicyCodec, any!);
    expect(policy.maxAge).toBe('10');
    expect(policy.allowOriginStringMatch?.[0]?.exact).toBe('https://a');
  });

  it('sends no CORS to proxyless gRPC', () => {
    const [route] = translateHttpRoute(ctx, vs, vs.spec.http![0]!, 0, 80, { forGrpc: true });
    expect(route!.typedPerFilterConfig?.[CORS_FILTER_NAME]).toBeUndefined();
    expect(httpFilters({ cors: false }).map((f) => f.name)).not.toContain(CORS_FILTER_NAME);
  });

  it('puts the CORS filter first and the router last', () => {
    expect(httpFilters({ cors: true }).map((f) => f.name)).toEqual([
      'envoy.filters.http.cors',
      'envoy.filters.http.fault',
      'envoy.filters.http.router',
    ]);
  });
});
