import { describe, expect, it } from 'vitest';
import type { ClusterModel } from '../../src/model/cluster.js';
import { DEFAULT_CIRCUIT_BREAKERS } from '../../src/model/cluster.js';
import type { LoadAssignmentModel } from '../../src/model/endpoint.js';
import { StatsStore } from '../../src/stats/store.js';
import { Cluster } from '../../src/upstream/cluster.js';
import { CLUSTER_STATS } from '../../src/upstream/stats.js';

function prng(seed = 7): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const model = (la: LoadAssignmentModel, extra: Partial<ClusterModel> = {}): ClusterModel => ({
  name: 'c',
  discovery: 'EDS',
  edsServiceName: 'c',
  connectTimeoutMs: 1000,
  lbPolicy: 'ROUND_ROBIN',
  ringHash: { minRingSize: 1024, maxRingSize: 8388608 },
  maglevTableSize: 65537,
  leastRequestChoiceCount: 2,
  healthyPanicThreshold: 50,
  localityWeighted: false,
  protocol: 'http1',
  circuitBreakers: DEFAULT_CIRCUIT_BREAKERS,
  healthChecks: [],
  idleTimeoutMs: 3600000,
  maxRequestsPerConnection: 0,
  loadAssignment: la,
  ...extra,
});

const host = (port: number, health: 'HEALTHY' | 'UNHEALTHY' = 'HEALTHY') => ({
  host: '10.0.0.1',
  port,
  weight: 1,
  health,
  hostname: '',
});
const loc = (zone: string, weight: number, hosts: ReturnType<typeof host>[]) => ({
  region: 'r',
  zone,
  subZone: '',
  weight,
  hosts,
});

function counts(c: Cluster, n: number): Record<number, number> {
  const out: Record<number, number> = {};
  for (let i = 0; i < n; i++) {
    const h = c.chooseHost({})!;
    out[h.port] = (out[h.port] ?? 0) + 1;
  }
  return out;
}

describe('cluster host selection', () => {
  const stats = () => new StatsStore().scope('cluster.c.', 'cluster', CLUSTER_STATS);

  it('spills load to priority 1 by the overprovisioned health of priority 0', () => {
    // P0: 1 of 2 healthy -> health 70% -> 70/30 split.
    const la = {
      clusterName: 'c',
      overprovisioningFactor: 140,
      priorities: [[loc('a', 0, [host(1), host(2, 'UNHEALTHY')])], [loc('b', 0, [host(3)])]],
    };
    const c = new Cluster(model(la, { healthyPanicThreshold: 0 }), stats(), prng());
    const n = counts(c, 10000);
    expect(n[1]! / 10000).toBeGreaterThan(0.66);
    expect(n[1]! / 10000).toBeLessThan(0.74);
    expect(n[3]! / 10000).toBeGreaterThan(0.26);
    expect(n[2]).toBeUndefined();
  });

  it('weights localities when locality_weighted_lb_config is set', () => {
    const la = {
      clusterName: 'c',
      overprovisioningFactor: 140,
      priorities: [[loc('a', 3, [host(1)]), loc('b', 1, [host(2)])]],
    };
    const c = new Cluster(model(la, { localityWeighted: true }), stats(), prng());
    const n = counts(c, 8000);
    expect(n[1]! / 8000).toBeGreaterThan(0.72);
    expect(n[1]! / 8000).toBeLessThan(0.78);
  });

  it("scales a locality's weight by its overprovisioned availability, as Envoy does", () => {
    // a: 1 of 4 available -> 1.4 * 0.25 = 0.35 of its weight; b: fully available. Share of a: 0.35/1.35.
    const la = {
      clusterName: 'c',
      overprovisioningFactor: 140,
      priorities: [
        [
          loc('a', 1, [host(1), host(2, 'UNHEALTHY'), host(3, 'UNHEALTHY'), host(4, 'UNHEALTHY')]),
          loc('b', 1, [host(5)]),
        ],
      ],
    };
    const c = new Cluster(model(la, { localityWeighted: true, healthyPanicThreshold: 0 }), stats(), prng());
    const n = counts(c, 10000);
    expect(n[1]! / 10000).toBeGreaterThan(0.23);
    expect(n[1]! / 10000).toBeLessThan(0.29);
    expect(n[2] ?? 0).toBe(0);
  });

  it('gives localities without a weight no traffic and weights within the priority traffic spills to', () => {
    // P0 all unhealthy: everything goes to P1, split 1:4 by locality weight; the unweighted locality gets none.
    const la = {
      clusterName: 'c',
      overprovisioningFactor: 140,
      priorities: [
        [loc('a', 5, [host(1, 'UNHEALTHY')])],
        [loc('b', 1, [host(2)]), loc('c', 4, [host(3)]), loc('d', 0, [host(4)])],
      ],
    };
    const c = new Cluster(model(la, { localityWeighted: true, healthyPanicThreshold: 0 }), stats(), prng());
    const n = counts(c, 10000);
    expect(n[1] ?? 0).toBe(0);
    expect(n[4] ?? 0).toBe(0);
    expect(n[2]! / 10000).toBeGreaterThan(0.17);
    expect(n[2]! / 10000).toBeLessThan(0.23);
  });

  it('enters panic mode below healthy_panic_threshold and spreads over all hosts', () => {
    const la = {
      clusterName: 'c',
      overprovisioningFactor: 140,
      priorities: [[loc('a', 0, [host(1), host(2, 'UNHEALTHY'), host(3, 'UNHEALTHY')])]],
    };
    const c = new Cluster(model(la), stats(), prng());
    const n = counts(c, 3000);
    expect(Object.keys(n).length).toBe(3);
  });
});
