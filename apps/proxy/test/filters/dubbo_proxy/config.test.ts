// DubboProxy translation: valid configs become the runtime model; invalid ones report every problem
// with its field path (what the xDS client sends back in a NACK).
import { envoy } from '@strait/xds';
import { describe, expect, it } from 'vitest';
import { IssueList } from '../../../src/errors.js';
import { translateDubboProxy } from '../../../src/filters/dubbo_proxy/config.js';
import { translateListener } from '../../../src/model/listener.js';

type DubboProxy = envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy.$Properties;
const V3 = envoy.extensions.filters.network.dubbo_proxy.v3;

function translate(d: DubboProxy) {
  const issues = new IssueList('Listener "dubbo"');
  const value = translateDubboProxy(d, issues, 'typed_config');
  return { value, issues: issues.items.map((i) => `${i.path}: ${i.code}: ${i.message}`) };
}

describe('DubboProxy translation', () => {
  it('translates routes: method matchers, params (exact, range), attachment headers, weighted clusters, timeout', () => {
    const { value, issues } = translate({
      statPrefix: 'out',
      routeConfig: [
        {
          name: 'demo',
          interface: 'org.example.Demo',
          group: 'g',
          version: '1.0.0',
          routes: [
            {
              match: {
                method: {
                  name: { prefix: 'get' },
                  paramsMatch: { '1': { rangeMatch: { start: 10, end: 20 } }, '0': { exactMatch: 'x' } },
                },
                headers: [{ name: 'X-Canary', exactMatch: 'true' }],
              },
              route: {
                weightedClusters: {
                  clusters: [
                    { name: 'a', weight: { value: 30 } },
                    { name: 'b', weight: { value: 70 } },
                    { name: 'c', weight: { value: 0 } },
                  ],
                },
                metadataMatch: {
                  filterMetadata: { 'strait.dubbo': { fields: { timeout: { stringValue: '1.5s' } } } },
                },
              },
            },
          ],
        },
      ],
    });
    expect(issues).toEqual([]);
    const route = value.routeConfigs[0]!.routes[0]!;
    expect(route.method).toEqual({ kind: 'prefix', value: 'get', ignoreCase: false });
    expect(route.params).toEqual([
      { index: 0, kind: 'exact', value: 'x' },
      { index: 1, kind: 'range', start: 10, end: 20 },
    ]);
    expect(route.headers[0]).toMatchObject({ name: 'x-canary' });
    expect(route.clusters).toEqual([
      { name: 'a', weight: 30 },
      { name: 'b', weight: 70 },
    ]);
    expect(route.totalWeight).toBe(100);
    expect(route.timeoutMs).toBe(1500);
    expect(value.routeConfigs[0]).toMatchObject({
      interface: 'org.example.Demo',
      group: 'g',
      version: '1.0.0',
    });
  });

  it('takes multiple_route_config as the route list', () => {
    const { value, issues } = translate({
      statPrefix: 'out',
      multipleRouteConfig: {
        name: 'm',
        routeConfig: [{ interface: '*', routes: [{ match: {}, route: { cluster: 'x' } }] }],
      },
    });
    expect(issues).toEqual([]);
    expect(value.routeConfigs[0]?.interface).toBe('*');
    expect(value.routeConfigs[0]?.routes[0]?.method).toBeUndefined();
  });

  it('reports every problem at once with its field path', () => {
    const { issues } = translate({
      protocolType: 1 as envoy.extensions.filters.network.dubbo_proxy.v3.ProtocolType,
      serializationType: 7 as envoy.extensions.filters.network.dubbo_proxy.v3.SerializationType,
      dubboFilters: [{ name: 'envoy.filters.dubbo.custom' }],
      routeConfig: [
        {
          routes: [
            {
              match: {
                method: {
                  name: { safeRegex: { regex: '([' } },
                  paramsMatch: {
                    '300': { exactMatch: 'x' },
                    '1': { rangeMatch: { start: 5, end: 5 } },
                    '2': {},
                  },
                },
              },
              route: {
                weightedClusters: { clusters: [{ name: '', weight: { value: 0 } }] },
                metadataMatch: {
                  filterMetadata: { 'strait.dubbo': { fields: { timeout: { stringValue: 'soon' } } } },
                },
              },
            },
            {},
          ],
        },
      ],
    });
    expect(issues).toEqual([
      'typed_config.stat_prefix: PROXY_ERR_MISSING_FIELD: stat_prefix is required',
      'typed_config.protocol_type: PROXY_ERR_UNSUPPORTED: protocol_type 1 is not supported (only Dubbo)',
      'typed_config.serialization_type: PROXY_ERR_UNSUPPORTED: serialization_type 7 is not supported (only Hessian2)',
      'typed_config.dubbo_filters[0]: PROXY_ERR_UNSUPPORTED: dubbo filter "envoy.filters.dubbo.custom" is not supported (only envoy.filters.dubbo.router)',
      'typed_config.route_config[0].interface: PROXY_ERR_MISSING_FIELD: an interface (Dubbo service name, or "*") is required',
      expect.stringMatching(
        /^typed_config\.route_config\[0\]\.routes\[0\]\.match\.method\.name\.safe_regex\.regex: PROXY_ERR_INVALID_REGEX: "\(\[" does not compile/,
      ),
      'typed_config.route_config[0].routes[0].match.method.params_match[1].range_match: PROXY_ERR_INVALID_VALUE: start 5 must be below end 5 (end is exclusive)',
      'typed_config.route_config[0].routes[0].match.method.params_match[2]: PROXY_ERR_MISSING_FIELD: one of exact_match, range_match is required',
      'typed_config.route_config[0].routes[0].match.method.params_match[300]: PROXY_ERR_INVALID_VALUE: parameter index "300" is not in 0..254',
      'typed_config.route_config[0].routes[0].route.weighted_clusters.clusters[0].name: PROXY_ERR_MISSING_FIELD: a cluster name is required',
      'typed_config.route_config[0].routes[0].route.weighted_clusters: PROXY_ERR_INVALID_VALUE: weights sum to 0',
      'typed_config.route_config[0].routes[0].route.metadata_match.filter_metadata["strait.dubbo"].timeout: PROXY_ERR_INVALID_VALUE: "soon" is not a duration ("500ms", "1.5s") or a number of milliseconds above 0',
      'typed_config.route_config[0].routes[1].match: PROXY_ERR_MISSING_FIELD: a route match is required',
      'typed_config.route_config[0].routes[1].route: PROXY_ERR_MISSING_FIELD: a route action is required',
    ]);
  });

  it('requires a route list, refuses drds and both lists at once', () => {
    expect(translate({ statPrefix: 's' }).issues).toEqual([
      'typed_config.route_config: PROXY_ERR_MISSING_FIELD: at least one route configuration is required',
    ]);
    expect(
      translate({
        statPrefix: 's',
        routeConfig: [{ interface: '*', routes: [] }],
        multipleRouteConfig: { routeConfig: [{ interface: '*' }] },
        drds: { routeConfigName: 'x' },
      }).issues,
    ).toEqual([
      'typed_config.drds: PROXY_ERR_UNSUPPORTED: dynamic route discovery (drds) is not supported yet',
      'typed_config: PROXY_ERR_INVALID_VALUE: route_config and multiple_route_config are exclusive: set only one',
    ]);
  });

  it('a Listener with the filter translates through the registry, and names the listener in issues', () => {
    const typed = V3.DubboProxy.encode({ statPrefix: 'x', routeConfig: [{ routes: [] }] }).finish();
    const t = translateListener({
      name: 'dubbo',
      address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
      filterChains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.dubbo_proxy',
              typedConfig: {
                type_url: 'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy',
                value: typed,
              },
            },
          ],
        },
      ],
    });
    expect(t.ok).toBe(false);
    if (t.ok) return;
    expect(t.issues.map((i) => `${i.resource}: ${i.path}`)).toEqual([
      'Listener "dubbo": filter_chains[0].filters[0].typed_config.route_config[0].interface',
    ]);
  });
});
