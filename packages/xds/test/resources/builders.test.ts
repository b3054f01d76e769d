// Behaviour the golden files do not show: input validation and defaults.
import { describe, expect, it } from 'vitest';
import {
  buildClusterLoadAssignment,
  buildEdsCluster,
  buildRoute,
  buildRouteConfiguration,
  buildStaticCluster,
  durationMs,
  serviceDomains,
  tcpProxyFilter,
  XdsInvalidArgumentError,
} from '../../src/index.js';

function invalid(fn: () => unknown): XdsInvalidArgumentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(XdsInvalidArgumentError);
    expect((err as XdsInvalidArgumentError).code).toBe('XDS_ERR_INVALID_ARGUMENT');
    return err as XdsInvalidArgumentError;
  }
  throw new Error('expected XdsInvalidArgumentError');
}

describe('builders validate their input', () => {
  it('names the endpoint with a bad port', () => {
    const err = invalid(() =>
      buildClusterLoadAssignment({
        clusterName: 'c',
        localities: [
          { endpoints: [{ address: '10.0.0.1', port: 80 }] },
          { priority: 1, endpoints: [{ address: 'x', port: 0 }] },
        ],
      }),
    );
    expect(err.path).toBe('localities[1].endpoints[0].port');
  });

  it('refuses gaps in priorities', () => {
    const err = invalid(() =>
      buildClusterLoadAssignment({
        clusterName: 'c',
        localities: [{ endpoints: [] }, { priority: 2, endpoints: [] }],
      }),
    );
    expect(err.message).toContain('1 is missing');
  });

  it('refuses weighted clusters adding up to 0 and routes without a destination', () => {
    expect(invalid(() => buildRoute({ weightedClusters: [{ cluster: 'a', weight: 0 }] })).path).toBe(
      'route.weightedClusters',
    );
    invalid(() => buildRoute({}));
    invalid(() => buildRoute({ cluster: 'a', weightedClusters: [{ cluster: 'b', weight: 1 }] }));
  });

  it('takes relative weights of any total within uint32, and refuses a larger one', () => {
    const even = buildRoute({
      weightedClusters: [
        { cluster: 'a', weight: 30 },
        { cluster: 'b', weight: 30 },
      ],
    });
    expect(even.route?.weightedClusters?.clusters?.map((c) => c.weight?.value)).toEqual([30, 30]);
    // Envoy sums the weights itself; total_weight is deprecated and never set.
    expect(even.route?.weightedClusters?.totalWeight).toBeUndefined();
    const err = invalid(() =>
      buildRoute({
        weightedClusters: [
          { cluster: 'a', weight: 0xffffffff },
          { cluster: 'b', weight: 1 },
        ],
      }),
    );
    expect(err.path).toBe('route.weightedClusters');
    expect(err.message).toContain('4294967296');
  });

  it('refuses duplicate domains across virtual hosts', () => {
    const err = invalid(() =>
      buildRouteConfiguration({
        name: 'r',
        virtualHosts: [
          { name: 'a', domains: ['x'], routes: [] },
          { name: 'b', domains: ['x'], routes: [] },
        ],
      }),
    );
    expect(err.path).toBe('virtualHosts[1].domains');
  });

  it('refuses a static cluster without endpoints and tcp_proxy without a target', () => {
    invalid(() => buildStaticCluster({ name: 's', endpoints: [] }));
    invalid(() => tcpProxyFilter({ statPrefix: 's' }));
  });

  it('converts milliseconds to Duration exactly', () => {
    expect(durationMs(1500)).toEqual({ seconds: 1, nanos: 500_000_000 });
    expect(durationMs(0)).toEqual({ seconds: 0 });
    invalid(() => durationMs(-1));
  });
});

describe('builder defaults follow Istio', () => {
  it('EDS clusters fetch endpoints over ADS under their own name', () => {
    const c = buildEdsCluster({ name: 'outbound|80||a.default.svc.cluster.local' });
    expect(c.edsClusterConfig).toEqual({
      edsConfig: { ads: {}, resourceApiVersion: 2 },
      serviceName: 'outbound|80||a.default.svc.cluster.local',
    });
    expect(c.connectTimeout).toEqual({ seconds: 10 });
  });

  it('routes have no timeout unless asked', () => {
    expect(buildRoute({ cluster: 'a' }).route!.timeout).toEqual({ seconds: 0 });
  });

  it('builders are pure: same input, equal output, input untouched', () => {
    const input = { name: 'r', virtualHosts: [{ name: 'a', domains: ['x'], routes: [{ cluster: 'c' }] }] };
    const frozen = JSON.stringify(input);
    expect(buildRouteConfiguration(input)).toEqual(buildRouteConfiguration(input));
    expect(JSON.stringify(input)).toBe(frozen);
  });

  it('lists the domains Istio gives a service', () => {
    expect(serviceDomains('reviews.default.svc.cluster.local', 9080, 'default')).toEqual([
      'reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local:9080',
      'reviews.default',
      'reviews.default:9080',
      'reviews.default.svc',
      'reviews.default.svc:9080',
      'reviews',
      'reviews:9080',
    ]);
  });
});
