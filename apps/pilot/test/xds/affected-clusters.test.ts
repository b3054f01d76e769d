import { describe, expect, it } from 'vitest';
import { Generators } from '../../src/xds/generators.js';

describe('Generators.affectedClusters', () => {
  const names = [
    'outbound|8080||a.ns.svc.cluster.local',
    'outbound|8080|v1|a.ns.svc.cluster.local',
    'outbound|8080||xa.ns.svc.cluster.local',
    'outbound|9090||b.ns.svc.cluster.local',
    'inbound|8080||',
  ];
  it('picks the clusters of the changed hosts, by exact host (few hosts and many)', () => {
    const g = new Generators();
    expect(g.affectedClusters(new Set(names), new Set(['a.ns.svc.cluster.local']))).toEqual(
      names.slice(0, 2),
    );
    const many = new Set(['b.ns.svc.cluster.local', ...Array.from({ length: 10 }, (_, i) => `h${i}`)]);
    expect(g.affectedClusters(new Set(names), many)).toEqual([names[3]]);
    expect(g.affectedClusters(new Set(names), new Set(['c']))).toEqual([]);
  });

  it('answers again for the same subscription set and push, and anew for the next push', () => {
    const g = new Generators();
    const subscribed = new Set(names);
    const first = new Set(['a.ns.svc.cluster.local']);
    expect(g.affectedClusters(subscribed, first)).toEqual(names.slice(0, 2));
    expect(g.affectedClusters(subscribed, first)).toEqual(names.slice(0, 2));
    expect(g.affectedClusters(subscribed, new Set(['b.ns.svc.cluster.local']))).toEqual([names[3]]);
  });
});
