import { InProcessRegistry, type Instance, MemoryStore, type Registry } from '@strait/registry';
import { describe, expect, it } from 'vitest';
import type { LoadAssignmentModel } from '../../src/model/endpoint.js';
import { StatsStore } from '../../src/stats/store.js';
import {
  buildAssignment,
  type RegistryClusterConfig,
  RegistryEndpoints,
} from '../../src/xds/registry-clusters.js';

const cfg = (over: Partial<RegistryClusterConfig> = {}): RegistryClusterConfig => ({
  registry: 'main',
  service: 'web',
  group: '',
  version: '',
  labels: {},
  defaultPort: 80,
  staleEndpointTtlMs: 0,
  cells: {
    localRegion: 'r1',
    localZone: 'z1',
    localSubZone: '',
    regionLabel: '',
    zoneLabel: '',
    subZoneLabel: '',
    mode: 'FLAT',
  },
  ...over,
});

const inst = (id: string, labels: Record<string, string>, extra: Partial<Instance> = {}): Instance => ({
  id,
  service: 'web',
  address: `10.0.0.${id.length}`,
  port: 8080,
  protocol: 'http',
  weight: 1,
  health: 'healthy',
  labels,
  application: 'web',
  interfaces: [],
  metadata: {},
  ...extra,
});

describe('buildAssignment', () => {
  const all = [
    inst('a', { region: 'r1', zone: 'z1', version: 'v1' }),
    inst('bb', { region: 'r1', zone: 'z2', version: 'v2' }),
    inst('ccc', { region: 'r2', zone: 'z9', version: 'v1' }, { health: 'draining', port: 0 }),
  ];

  it('FLAT: everything at priority 0, grouped by locality, Envoy health names, default port', () => {
    const m = buildAssignment('c', all, cfg());
    expect(m.priorities).toHaveLength(1);
    expect(m.priorities[0]!.map((l) => `${l.region}/${l.zone}`)).toEqual(['r1/z1', 'r1/z2', 'r2/z9']);
    const ccc = m.priorities[0]![2]!.hosts[0]!;
    expect(ccc).toMatchObject({ health: 'DRAINING', port: 80, hostname: 'ccc' });
  });

  it('FAILOVER: local zone, then local region, then the rest; LOCAL_ONLY drops the others', () => {
    const f = buildAssignment('c', all, cfg({ cells: { ...cfg().cells, mode: 'FAILOVER' } }));
    expect(f.priorities.map((p) => p.flatMap((l) => l.hosts.map((h) => h.hostname)))).toEqual([
      ['a'],
      ['bb'],
      ['ccc'],
    ]);
    const l = buildAssignment('c', all, cfg({ cells: { ...cfg().cells, mode: 'LOCAL_ONLY' } }));
    expect(l.priorities.map((p) => p.flatMap((x) => x.hosts.map((h) => h.hostname)))).toEqual([['a']]);
  });

  it('subset labels filter instances', () => {
    const m = buildAssignment('c', all, cfg({ labels: { version: 'v1' } }));
    expect(m.priorities.flat().flatMap((l) => l.hosts.map((h) => h.hostname))).toEqual(['a', 'ccc']);
  });
});

describe('RegistryEndpoints', () => {
  it('shares one watch per service and recomputes only that service’s clusters on a delta', async () => {
    const registry = new InProcessRegistry(new MemoryStore());
    await registry.register({ service: 'web', address: '10.0.0.1', port: 80, labels: { version: 'v1' } });
    await registry.register({ service: 'api', address: '10.0.1.1', port: 80 });
    const got: [string, LoadAssignmentModel][] = [];
    const stats = new StatsStore();
    const re = new RegistryEndpoints({
      registries: new Map([['main', registry]]),
      onAssignment: (c, m) => got.push([c, m]),
      stats,
      log: () => {},
    });
    re.attach('web-all', cfg());
    re.attach('web-v1', cfg({ labels: { version: 'v1' } }));
    re.attach('api', cfg({ service: 'api' }));
    const until = async (n: number) => {
      for (let i = 0; i < 200 && got.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    };
    await until(3);
    expect(new Set(got.map(([c]) => c))).toEqual(new Set(['web-all', 'web-v1', 'api']));
    expect(re.stats.watched_services.value).toBe(2);
    got.length = 0;
    await registry.register({ service: 'web', address: '10.0.0.2', port: 80, labels: { version: 'v2' } });
    await until(2);
    await new Promise((r) => setTimeout(r, 30));
    expect(got.map(([c]) => c).sort()).toEqual(['web-all', 'web-v1']);
    const hosts = (c: string) =>
      got
        .find(([n]) => n === c)![1]
        .priorities.flat()
        .flatMap((l) => l.hosts);
    expect(hosts('web-all')).toHaveLength(2);
    expect(hosts('web-v1')).toHaveLength(1);
    expect(re.stats.deltas.value).toBeGreaterThan(0);
    re.detach('api');
    expect(re.stats.watched_services.value).toBe(1);
    re.close();
    await registry.close();
  });
});

describe('RegistryEndpoints stale_endpoint_ttl', () => {
  it('keeps endpoints while the watch is broken, and drops them after the TTL', async () => {
    let opened = 0;
    const snapshot = { type: 'snapshot' as const, service: 'web', revision: 1, instances: [inst('a', {})] };
    // First watch: one snapshot, then it ends (a lost registry). Later watches never deliver.
    const registry = {
      watch(service: string) {
        opened++;
        const first = opened === 1;
        let closed = false;
        return {
          service,
          close: () => {
            closed = true;
          },
          async *[Symbol.asyncIterator]() {
            if (first) {
              yield snapshot;
              return;
            }
            while (!closed) await new Promise((r) => setTimeout(r, 10));
          },
        };
      },
    } as unknown as Registry;
    const got: number[] = [];
    const re = new RegistryEndpoints({
      registries: new Map([['main', registry]]),
      onAssignment: (_c, m) => got.push(m.priorities.flat().flatMap((l) => l.hosts).length),
      stats: new StatsStore(),
      log: () => {},
    });
    re.attach('web', cfg({ staleEndpointTtlMs: 150 }));
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([1, 0]);
    expect(re.stats.stale_drops.value).toBe(1);
    re.close();
  });
});
