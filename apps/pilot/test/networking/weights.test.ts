import { describe, expect, it } from 'vitest';
import { weightedClusters } from '../../src/networking/weights.js';

describe('weightedClusters (Istio 1.15+: relative weights)', () => {
  it('passes weights through unscaled: Envoy draws from their sum', () => {
    expect(
      weightedClusters([
        { cluster: 'a', weight: 30 },
        { cluster: 'b', weight: 30 },
      ]),
    ).toEqual([
      { cluster: 'a', weight: 30 },
      { cluster: 'b', weight: 30 },
    ]);
  });

  it('sends all traffic to a lone destination, whatever its weight', () => {
    expect(weightedClusters([{ cluster: 'a', weight: 0 }])).toEqual([{ cluster: 'a', weight: 1 }]);
    expect(weightedClusters([{ cluster: 'a', weight: undefined }])).toEqual([{ cluster: 'a', weight: 1 }]);
  });

  it('drops zero-weight (and omitted-weight) destinations among several', () => {
    expect(
      weightedClusters([
        { cluster: 'a', weight: 0 },
        { cluster: 'b', weight: undefined },
        { cluster: 'c', weight: 3 },
        { cluster: 'd', weight: 1 },
      ]),
    ).toEqual([
      { cluster: 'c', weight: 3 },
      { cluster: 'd', weight: 1 },
    ]);
  });

  it('drops destinations that resolve to no cluster, leaving the caller an empty list to act on', () => {
    expect(weightedClusters([{ cluster: undefined, weight: 100 }])).toEqual([]);
    expect(
      weightedClusters([
        { cluster: undefined, weight: 50 },
        { cluster: 'b', weight: 50 },
      ]),
    ).toEqual([{ cluster: 'b', weight: 50 }]);
  });
});
