import { envoy } from '@strait/xds';
import { describe, expect, it } from 'vitest';
import { cellClosure } from '../src/cell.js';
import { toClusterLoadAssignment } from '../src/eds.js';
import { normalizeInstance } from '../src/instance.js';

const inst = (n: number, labels: Record<string, string>, extra = {}) =>
  normalizeInstance({ service: 'svc', address: `10.0.0.${n}`, port: 80, labels, ...extra });

describe('toClusterLoadAssignment', () => {
  it('groups by priority and locality, maps health and weight, and encodes with the generated codec', () => {
    const a = { region: 'r1', zone: 'z1', cell: 'c1', version: 'v1' };
    const b = { region: 'r1', zone: 'z2', cell: 'c2' };
    const instances = [
      inst(2, a, { weight: 5 }),
      inst(1, a, { health: 'draining' }),
      inst(3, b, { health: 'unhealthy' }),
      inst(4, { region: 'r2', zone: 'z9', cell: 'c9' }),
    ];
    const cla = toClusterLoadAssignment(
      'outbound|80||svc',
      cellClosure(instances, { cell: 'c1', region: 'r1', minHealthy: 3 }),
    );
    expect(cla).toEqual({
      clusterName: 'outbound|80||svc',
      endpoints: [
        {
          locality: { region: 'r1', zone: 'z1', subZone: 'c1' },
          priority: 0,
          loadBalancingWeight: { value: 105 },
          lbEndpoints: [
            {
              endpoint: {
                address: { socketAddress: { address: '10.0.0.1', portValue: 80 } },
                hostname: '10.0.0.1:80',
              },
              healthStatus: 3,
              loadBalancingWeight: { value: 100 },
              metadata: {
                filterMetadata: {
                  'envoy.lb': {
                    fields: {
                      cell: { stringValue: 'c1' },
                      region: { stringValue: 'r1' },
                      version: { stringValue: 'v1' },
                      zone: { stringValue: 'z1' },
                    },
                  },
                },
              },
            },
            expect.objectContaining({ healthStatus: 1, loadBalancingWeight: { value: 5 } }),
          ],
        },
        expect.objectContaining({ locality: { region: 'r1', zone: 'z2', subZone: 'c2' }, priority: 1 }),
        expect.objectContaining({ locality: { region: 'r2', zone: 'z9', subZone: 'c9' }, priority: 2 }),
      ],
    });
    expect(cla.endpoints?.[1]?.lbEndpoints?.[0]?.healthStatus).toBe(
      envoy.config.core.v3.HealthStatus.UNHEALTHY,
    );
    const bytes = envoy.config.endpoint.v3.ClusterLoadAssignment.encode(cla).finish();
    const back = envoy.config.endpoint.v3.ClusterLoadAssignment.decode(bytes);
    expect(back.endpoints.map((l) => l.priority)).toEqual([0, 1, 2]);
    expect(back.endpoints[0]?.lbEndpoints?.[1]?.loadBalancingWeight?.value).toBe(5);
  });

  it('omits unhealthy endpoints when asked', () => {
    const cla = toClusterLoadAssignment('c', [inst(1, {}, { health: 'unhealthy' }), inst(2, {})], {
      omitUnhealthy: true,
    });
    expect(cla.endpoints?.[0]?.lbEndpoints?.length).toBe(1);
  });
});
