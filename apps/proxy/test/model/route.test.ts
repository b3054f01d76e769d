import { describe, expect, it } from 'vitest';
import { translateRouteConfiguration } from '../../src/model/route.js';

describe('RouteConfiguration translation', () => {
  it('reports every problem with its path: bad header mutations, weights, regex, retry_on, domains', () => {
    const t = translateRouteConfiguration({
      name: 'rc',
      responseHeadersToAdd: [
        { header: { key: 'bad name', value: 'x' } },
        { header: { key: 'x-ok', value: 'a\r\nb' } },
      ],
      virtualHosts: [
        { name: 'a', domains: ['*.x.*'], routes: [] },
        {
          name: 'b',
          domains: ['b'],
          routes: [
            {
              match: { prefix: '/' },
              route: {
                weightedClusters: {
                  clusters: [{ name: 'c1', weight: { value: 10 } }],
                  totalWeight: { value: 100 },
                },
                retryPolicy: { retryOn: '5xx,bogus' },
              },
            },
            { match: { safeRegex: { regex: '(' } }, route: { cluster: 'c' } },
          ],
        },
      ],
    });
    expect(t.ok).toBe(false);
    if (t.ok) return;
    expect(t.issues.map((i) => [i.code, i.path])).toEqual([
      ['PROXY_ERR_INVALID_VALUE', 'virtual_hosts[0].domains[0]'],
      ['PROXY_ERR_INVALID_VALUE', 'virtual_hosts[1].routes[0].route.weighted_clusters.total_weight'],
      ['PROXY_ERR_INVALID_VALUE', 'virtual_hosts[1].routes[0].route.retry_policy.retry_on'],
      ['PROXY_ERR_INVALID_REGEX', 'virtual_hosts[1].routes[1].match.safe_regex.regex'],
      ['PROXY_ERR_INVALID_VALUE', 'response_headers_to_add[0].header.key'],
      ['PROXY_ERR_INVALID_VALUE', 'response_headers_to_add[1].header.value'],
    ]);
    expect(t.issues.every((i) => i.resource === 'RouteConfiguration "rc"')).toBe(true);
  });

  const weighted = (weights: number[]) =>
    translateRouteConfiguration({
      name: 'rc',
      virtualHosts: [
        {
          name: 'v',
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/' },
              route: {
                weightedClusters: {
                  clusters: weights.map((w, i) => ({ name: `c${i}`, weight: { value: w } })),
                },
              },
            },
          ],
        },
      ],
    });

  it('takes relative weights as Envoy does: any total above 0 is the draw range, total_weight unneeded', () => {
    const t = weighted([30, 30]);
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    const action = t.value.virtualHosts[0]!.routes[0]!.action;
    expect(action.kind).toBe('forward');
    if (action.kind !== 'forward') return;
    expect(action.totalWeight).toBe(60);
    expect(action.clusters.map((c) => [c.name, c.weight])).toEqual([
      ['c0', 30],
      ['c1', 30],
    ]);
  });

  it('NACKs weights that sum to 0 or beyond uint32, naming weighted_clusters', () => {
    for (const weights of [
      [0, 0],
      [0xffffffff, 1],
    ]) {
      const t = weighted(weights);
      expect(t.ok).toBe(false);
      if (t.ok) continue;
      expect(t.issues.map((i) => [i.code, i.path])).toEqual([
        ['PROXY_ERR_INVALID_VALUE', 'virtual_hosts[0].routes[0].route.weighted_clusters'],
      ]);
    }
  });
});
