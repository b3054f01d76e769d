import { describe, expect, it } from 'vitest';
import { envoy } from '../../src/gen/protos.js';
import { resourceNameOf } from '../../src/stream/index.js';

const c = envoy.config;

const cases: [string, string, Uint8Array][] = [
  ['Listener', 'in', c.listener.v3.Listener.encode({ statPrefix: 'x', name: 'in' }).finish()],
  ['Cluster', 'out|80||a', c.cluster.v3.Cluster.encode({ altStatName: 'alt', name: 'out|80||a' }).finish()],
  [
    'RouteConfiguration',
    '80',
    c.route.v3.RouteConfiguration.encode({
      name: '80',
      virtualHosts: [{ name: 'vh', domains: ['*'] }],
    }).finish(),
  ],
  [
    'ClusterLoadAssignment',
    'out|80||a',
    c.endpoint.v3.ClusterLoadAssignment.encode({
      clusterName: 'out|80||a',
      endpoints: [{ priority: 1, loadBalancingWeight: { value: 3 } }],
    }).finish(),
  ],
  [
    'Secret',
    'default',
    envoy.extensions.transport_sockets.tls.v3.Secret.encode({ name: 'default' }).finish(),
  ],
];

describe('resourceNameOf', () => {
  it.each(cases)('reads the name of a %s from field 1 without decoding it', (_, expected, value) => {
    expect(resourceNameOf({ value })).toBe(expected);
  });

  it('returns undefined for a resource without a name, or without bytes', () => {
    expect(resourceNameOf({ value: c.cluster.v3.Cluster.encode({}).finish() })).toBeUndefined();
    expect(resourceNameOf({})).toBeUndefined();
  });

  it('returns undefined for truncated or corrupt bytes', () => {
    const good = c.listener.v3.Listener.encode({ name: 'listener-name' }).finish();
    expect(resourceNameOf({ value: good.subarray(0, good.length - 3) })).toBeUndefined();
    expect(resourceNameOf({ value: new Uint8Array([0xff, 0xff, 0xff]) })).toBeUndefined();
    expect(resourceNameOf({ value: new Uint8Array([0x0b]) })).toBeUndefined(); // a group start
    expect(resourceNameOf({ value: new Uint8Array([0x0a, 0x02, 0xc3, 0x28]) })).toBeUndefined(); // bad UTF-8
  });
});
