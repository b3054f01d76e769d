import { describe, expect, it } from 'vitest';
import {
  ClusterCodec,
  ClusterLoadAssignmentCodec,
  DiscoveryResponseCodec,
  durationToJson,
  pack,
  resourceToEnvoyJson,
  TypeUrl,
  toEnvoyJson,
} from '../../src/index.js';
import { sampleCla } from '../helpers/samples.js';

describe('JSON views', () => {
  it('toObject gives enums as strings and longs as numbers', () => {
    const bytes = ClusterCodec.encode({ name: 'a', type: 3, dnsRefreshRate: { seconds: 5 } });
    const obj = ClusterCodec.toObject(ClusterCodec.decode(bytes));
    expect(obj).toMatchObject({ name: 'a', type: 'EDS', dnsRefreshRate: { seconds: 5 } });
  });

  it('Envoy JSON expands Any payloads with @type, snake_case names', () => {
    const response = {
      versionInfo: '3',
      typeUrl: TypeUrl.ClusterLoadAssignment,
      resources: [pack(ClusterLoadAssignmentCodec, sampleCla(1, 1))],
    };
    const decoded = DiscoveryResponseCodec.decode(DiscoveryResponseCodec.encode(response));
    const json = resourceToEnvoyJson(DiscoveryResponseCodec, decoded);
    expect(json).toMatchObject({
      '@type': TypeUrl.DiscoveryResponse,
      version_info: '3',
      resources: [
        {
          '@type': TypeUrl.ClusterLoadAssignment,
          cluster_name: 'outbound|9080|v1|reviews.default.svc.cluster.local',
          endpoints: [
            {
              locality: { region: 'us-east1', zone: 'us-east1-a' },
              load_balancing_weight: 10,
              lb_endpoints: [
                {
                  endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 9080 } } },
                  health_status: 'HEALTHY',
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('prints well-known types in their proto3 JSON form', () => {
    expect(durationToJson(1, 500_000_000)).toBe('1.500s');
    expect(durationToJson(0, 1)).toBe('0.000000001s');
    expect(durationToJson(10, 0)).toBe('10s');
    const json = toEnvoyJson('envoy.config.core.v3.Metadata', {
      filterMetadata: {
        a: { fields: { n: { numberValue: 2 }, l: { listValue: { values: [{ boolValue: true }] } } } },
      },
    });
    expect(json).toEqual({ filter_metadata: { a: { n: 2, l: [true] } } });
  });

  it('leaves an Any of an unknown type as base64', () => {
    const json = toEnvoyJson('google.protobuf.Any', {
      type_url: 'type.googleapis.com/acme.X',
      value: Uint8Array.of(1, 2),
    });
    expect(json).toEqual({ '@type': 'type.googleapis.com/acme.X', value: 'AQI=' });
  });
});

describe('equal', () => {
  it('compares by encoding', () => {
    const a = sampleCla(1, 2);
    expect(ClusterLoadAssignmentCodec.equal(a, sampleCla(1, 2))).toBe(true);
    expect(
      ClusterLoadAssignmentCodec.equal(
        a,
        ClusterLoadAssignmentCodec.decode(ClusterLoadAssignmentCodec.encode(a)),
      ),
    ).toBe(true);
    expect(ClusterLoadAssignmentCodec.equal(a, sampleCla(1, 3))).toBe(false);
  });
});
