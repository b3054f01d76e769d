// DestinationRule localityLbSetting through the pilot's real translation path: config validated by
// @strait/config, a PushContext, then buildEndpoints/buildOutboundCluster/localityKey per proxy.
import { type ConfigObject, validate } from '@strait/config';
import { describe, expect, it } from 'vitest';
import type { ProxyInfo } from '../../src/model/proxy.js';
import { buildPushContext } from '../../src/model/push-context.js';
import { buildOutboundCluster } from '../../src/networking/clusters.js';
import { buildEndpoints, localityKey } from '../../src/networking/endpoints.js';
import { distributeWeights, localityMatch } from '../../src/networking/locality.js';

const HOST = 'web.test';
const CLUSTER = `outbound|80||${HOST}`;

// Two endpoints per zone of region us, one in eu-west and one in ap; labels for failoverPriority.
const ENDPOINTS = [
  { address: '10.0.0.1', locality: 'us/us1/c1', labels: { app: 'web', version: 'v1', net: 'n1' } },
  { address: '10.0.0.2', locality: 'us/us1/c2', labels: { app: 'web', version: 'v2', net: 'n1' } },
  {
    address: '10.0.0.3',
    locality: 'us/us2/c1',
    labels: { app: 'web', version: 'v1', net: 'n2' },
    network: 'west',
  },
  {
    address: '10.0.0.4',
    locality: 'us/us2/c2',
    labels: { app: 'web', version: 'v2', net: 'n2' },
    network: 'west',
  },
  { address: '10.0.0.5', locality: 'eu/eu1/c1', labels: { app: 'web', version: 'v1', net: 'n1' } },
  { address: '10.0.0.6', locality: 'ap/ap1/c1', labels: { app: 'web', version: 'v1', net: 'n1' } },
];

function object(doc: unknown): ConfigObject {
  const r = validate(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.object;
}

function context(trafficPolicy: unknown, subsets: unknown[] = []) {
  return buildPushContext({
    version: 't',
    architecture: 'three-in-one',
    config: [
      object({
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          hosts: [HOST],
          location: 'MESH_INTERNAL',
          resolution: 'STATIC',
          ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
          endpoints: ENDPOINTS.map((e) => ({ ...e, ports: { http: 8080 } })),
        },
      }),
      object({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'web', namespace: 'default' },
        spec: { host: HOST, trafficPolicy, ...(subsets.length ? { subsets } : {}) },
      }),
    ],
    instances: new Map(),
  });
}

function proxy(locality: string, labels: Record<string, string> = {}, network?: string): ProxyInfo {
  const [region = '', zone = '', subZone = ''] = locality.split('/');
  return {
    id: `sidecar~10.9.9.9~client.default~default.svc.cluster.local`,
    type: 'sidecar',
    namespace: 'default',
    ips: ['10.9.9.9'],
    labels,
    app: '',
    locality: { region, zone, subZone },
    ...(network ? { network } : {}),
  };
}

/** address -> priority, and locality -> weight, of the assignment one proxy gets. */
function view(ctx: ReturnType<typeof context>, p: ProxyInfo, cluster = CLUSTER) {
  const [cla] = buildEndpoints(ctx, [cluster], p);
  const priority: Record<string, number> = {};
  const weight: Record<string, number> = {};
  for (const l of cla!.endpoints ?? []) {
    const loc = `${l.locality?.region}/${l.locality?.zone}/${l.locality?.subZone}`;
    weight[loc] = (weight[loc] ?? 0) + (l.loadBalancingWeight?.value ?? 0);
    for (const e of l.lbEndpoints ?? [])
      priority[e.endpoint!.address!.socketAddress!.address!] = l.priority ?? 0;
  }
  return { priority, weight };
}

const OUTLIER = { consecutive5xxErrors: 3 };

describe('localityMatch', () => {
  it.each([
    ['us', 'us/us1/c1', true],
    ['us/*', 'us/us1/c1', true],
    ['us/us1', 'us/us1/c2', true],
    ['us/us1/c1', 'us/us1/c2', false],
    ['*', 'eu/eu1/c1', true],
    ['eu/*', 'us/us1/c1', false],
  ])('%s matches %s: %s', (rule, loc, want) => {
    const [region = '', zone = '', subZone = ''] = loc.split('/');
    expect(localityMatch({ region, zone, subZone }, rule)).toBe(want);
  });
});

describe('distribute', () => {
  const ctx = context({
    loadBalancer: {
      localityLbSetting: {
        distribute: [
          { from: 'us/us1/*', to: { 'us/us1/*': 80, 'us/us2/c1': 20 } },
          { from: 'eu/*', to: { 'ap/ap1/c1': 100 } },
        ],
      },
    },
  });

  it('spreads each target weight over the localities it matches and drops the others', () => {
    const { weight, priority } = view(ctx, proxy('us/us1/c2'));
    // us/us1/* matches two sub-zones of equal size: 80 split 40/40.
    expect(weight).toEqual({ 'us/us1/c1': 40, 'us/us1/c2': 40, 'us/us2/c1': 20 });
    expect(Object.keys(priority).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(new Set(Object.values(priority))).toEqual(new Set([0]));
  });

  it('applies the first rule whose from matches the proxy, none when none does', () => {
    expect(view(ctx, proxy('eu/eu1/c9')).weight).toEqual({ 'ap/ap1/c1': 100 });
    // No rule for ap: the plain assignment (every locality, weight = its endpoints' weights).
    expect(Object.keys(view(ctx, proxy('ap/ap1/c1')).weight)).toHaveLength(6);
    expect(localityKey(ctx, CLUSTER, proxy('ap/ap1/c1'))).toBeUndefined();
  });

  it('keys the assignment by the matching rule, not by the proxy', () => {
    expect(localityKey(ctx, CLUSTER, proxy('us/us1/c1'))).toBe(localityKey(ctx, CLUSTER, proxy('us/us1/c2')));
    expect(localityKey(ctx, CLUSTER, proxy('us/us1/c1'))).not.toBe(
      localityKey(ctx, CLUSTER, proxy('eu/eu1/c1')),
    );
  });

  it('turns on locality weighted LB in the cluster, and needs no outlier detection', () => {
    expect(buildOutboundCluster(ctx, CLUSTER, false)?.commonLbConfig).toEqual({
      localityWeightedLbConfig: {},
    });
  });

  it('weights in proportion to each locality weight, rounding up', () => {
    const locs = [
      { locality: { region: 'r', zone: 'a' }, loadBalancingWeight: { value: 1 } },
      { locality: { region: 'r', zone: 'b' }, loadBalancingWeight: { value: 2 } },
      { locality: { region: 'x', zone: 'c' }, loadBalancingWeight: { value: 5 } },
    ];
    const out = distributeWeights({ from: '*', to: [['r/*', 10]] }, locs);
    expect(out.map((l) => [l.locality.zone, l.loadBalancingWeight.value])).toEqual([
      ['a', 4],
      ['b', 7],
    ]);
  });

  it('enabled: false turns distribute off', () => {
    const off = context({
      loadBalancer: {
        localityLbSetting: { enabled: false, distribute: [{ from: '*', to: { 'us/us1/c1': 100 } }] },
      },
    });
    expect(Object.keys(view(off, proxy('us/us1/c1')).weight)).toHaveLength(6);
    expect(localityKey(off, CLUSTER, proxy('us/us1/c1'))).toBeUndefined();
    expect(buildOutboundCluster(off, CLUSTER, false)?.commonLbConfig).toBeUndefined();
  });
});

describe('failover', () => {
  it('orders by proximity: sub-zone, zone, region, then the rest (default, with outlier detection)', () => {
    const ctx = context({ outlierDetection: OUTLIER });
    expect(view(ctx, proxy('us/us1/c1')).priority).toEqual({
      '10.0.0.1': 0,
      '10.0.0.2': 1,
      '10.0.0.3': 2,
      '10.0.0.4': 2,
      '10.0.0.5': 3,
      '10.0.0.6': 3,
    });
    expect(localityKey(ctx, CLUSTER, proxy('us/us1/c1'))).not.toBe(
      localityKey(ctx, CLUSTER, proxy('us/us1/c2')),
    );
  });

  it('puts the failover region before other regions', () => {
    const ctx = context({
      outlierDetection: OUTLIER,
      loadBalancer: { localityLbSetting: { failover: [{ from: 'us', to: 'ap' }] } },
    });
    const { priority } = view(ctx, proxy('us/us2/c2'));
    expect(priority).toMatchObject({
      '10.0.0.4': 0,
      '10.0.0.3': 1,
      '10.0.0.1': 2,
      '10.0.0.6': 3,
      '10.0.0.5': 4,
    });
    // A proxy of another region is not affected by the rule: ap and eu tie.
    expect(view(ctx, proxy('eu/eu1/c1')).priority).toMatchObject({
      '10.0.0.5': 0,
      '10.0.0.6': 1,
      '10.0.0.1': 1,
    });
  });

  it('needs outlier detection, and enabled: false turns it off', () => {
    for (const policy of [
      { loadBalancer: { localityLbSetting: { failover: [{ from: 'us', to: 'ap' }] } } },
      { outlierDetection: OUTLIER, loadBalancer: { localityLbSetting: { enabled: false } } },
    ]) {
      const ctx = context(policy);
      expect(new Set(Object.values(view(ctx, proxy('us/us1/c1')).priority))).toEqual(new Set([0]));
      expect(localityKey(ctx, CLUSTER, proxy('us/us1/c1'))).toBeUndefined();
    }
  });

  it('leaves a proxy without a locality alone', () => {
    const ctx = context({ outlierDetection: OUTLIER });
    expect(localityKey(ctx, CLUSTER, proxy(''))).toBeUndefined();
    expect(new Set(Object.values(view(ctx, proxy('')).priority))).toEqual(new Set([0]));
  });

  it("uses the subset's own policy (merged over the rule's)", () => {
    const ctx = context({ outlierDetection: OUTLIER }, [
      {
        name: 'v1',
        labels: { version: 'v1' },
        trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: false } } },
      },
      { name: 'v2', labels: { version: 'v2' } },
    ]);
    const v1 = view(ctx, proxy('us/us1/c1'), `outbound|80|v1|${HOST}`).priority;
    expect(v1).toEqual({ '10.0.0.1': 0, '10.0.0.3': 0, '10.0.0.5': 0, '10.0.0.6': 0 });
    const v2 = view(ctx, proxy('us/us1/c1'), `outbound|80|v2|${HOST}`).priority;
    expect(v2).toEqual({ '10.0.0.2': 0, '10.0.0.4': 1 });
  });
});

describe('failoverPriority', () => {
  it('ranks by the number of leading labels equal to the proxy’s', () => {
    const ctx = context({
      outlierDetection: OUTLIER,
      loadBalancer: { localityLbSetting: { failoverPriority: ['net', 'version'] } },
    });
    const { priority } = view(ctx, proxy('us/us1/c1', { net: 'n2', version: 'v2' }));
    // Both match: 0; net only: 1; net differs: 2 (locality plays no part without failover rules).
    expect(priority).toEqual({
      '10.0.0.4': 0,
      '10.0.0.3': 1,
      '10.0.0.1': 2,
      '10.0.0.2': 2,
      '10.0.0.5': 2,
      '10.0.0.6': 2,
    });
    // The key depends on the label values only.
    const a = localityKey(ctx, CLUSTER, proxy('us/us1/c1', { net: 'n2', version: 'v2', other: 'x' }));
    expect(a).toBe(localityKey(ctx, CLUSTER, proxy('eu/eu1/c1', { net: 'n2', version: 'v2' })));
    expect(a).not.toBe(localityKey(ctx, CLUSTER, proxy('us/us1/c1', { net: 'n1', version: 'v2' })));
    expect(a).not.toContain('|');
  });

  it('takes key=value overrides, topology labels from the locality and the network from the node', () => {
    const ctx = context({
      outlierDetection: OUTLIER,
      loadBalancer: {
        localityLbSetting: { failoverPriority: ['topology.kubernetes.io/region', 'version=v1'] },
      },
    });
    const { priority } = view(ctx, proxy('eu/eu1/c1', { version: 'v2' }));
    // Only eu/v1 matches both; everything else differs on the region (level 2, compacted to 1).
    expect(priority).toEqual({
      '10.0.0.5': 0,
      '10.0.0.1': 1,
      '10.0.0.2': 1,
      '10.0.0.3': 1,
      '10.0.0.4': 1,
      '10.0.0.6': 1,
    });
    const net = context({
      outlierDetection: OUTLIER,
      loadBalancer: { localityLbSetting: { failoverPriority: ['topology.istio.io/network'] } },
    });
    expect(localityKey(net, CLUSTER, proxy('us/us1/c1', {}, 'n1'))).not.toBe(
      localityKey(net, CLUSTER, proxy('us/us1/c1', {}, 'n2')),
    );
    // Endpoints' ServiceEntry `network` is their topology.istio.io/network.
    expect(view(net, proxy('us/us1/c1', {}, 'west')).priority).toEqual({
      '10.0.0.3': 0,
      '10.0.0.4': 0,
      '10.0.0.1': 1,
      '10.0.0.2': 1,
      '10.0.0.5': 1,
      '10.0.0.6': 1,
    });
  });

  it('refines each label level by proximity when failover rules are set too', () => {
    const ctx = context({
      outlierDetection: OUTLIER,
      loadBalancer: {
        localityLbSetting: { failoverPriority: ['version'], failover: [{ from: 'us', to: 'eu' }] },
      },
    });
    const { priority } = view(ctx, proxy('us/us1/c2', { version: 'v1' }));
    expect(priority).toEqual({
      '10.0.0.1': 0, // v1, same zone
      '10.0.0.3': 1, // v1, same region
      '10.0.0.5': 2, // v1, failover region
      '10.0.0.6': 3, // v1, elsewhere
      '10.0.0.2': 4, // v2, same sub-zone
      '10.0.0.4': 5, // v2, same region
    });
  });
});
