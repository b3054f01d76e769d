import { describe, expect, it } from 'vitest';
import {
  clusterHost,
  clusterName,
  inboundClusterName,
  listenerName,
  parseClusterName,
  XdsInvalidArgumentError,
} from '../../src/index.js';

describe('Istio resource names', () => {
  it('builds and parses outbound cluster names', () => {
    const name = clusterName({
      direction: 'outbound',
      port: 7070,
      subset: 'v1',
      host: 'reviews.default.svc.cluster.local',
    });
    expect(name).toBe('outbound|7070|v1|reviews.default.svc.cluster.local');
    expect(parseClusterName(name)).toEqual({
      direction: 'outbound',
      port: 7070,
      subset: 'v1',
      host: 'reviews.default.svc.cluster.local',
    });
    expect(clusterName({ direction: 'outbound', port: 80, host: 'a.b.svc.cluster.local' })).toBe(
      'outbound|80||a.b.svc.cluster.local',
    );
  });

  it('handles inbound names and rejects others', () => {
    expect(inboundClusterName(9080)).toBe('inbound|9080||');
    expect(parseClusterName('inbound|9080||')).toEqual({ direction: 'inbound', port: 9080, host: '' });
    expect(parseClusterName('PassthroughCluster')).toBeUndefined();
    expect(parseClusterName('sideways|80||a')).toBeUndefined();
    expect(parseClusterName('outbound|0||a')).toBeUndefined();
    expect(parseClusterName('outbound|80||')).toBeUndefined();
  });

  it('reads the host of a cluster name without a full parse', () => {
    expect(clusterHost('outbound|7070|v1|reviews.default.svc.cluster.local')).toBe(
      'reviews.default.svc.cluster.local',
    );
    expect(clusterHost('inbound|9080||')).toBe('');
  });

  it('names listeners after address and port', () => {
    expect(listenerName('0.0.0.0', 9080)).toBe('0.0.0.0_9080');
  });

  it('rejects bad input with XDS_ERR_INVALID_ARGUMENT naming the field', () => {
    expect(() => clusterName({ direction: 'outbound', port: 70000, host: 'a' })).toThrow(
      XdsInvalidArgumentError,
    );
    expect(() => clusterName({ direction: 'outbound', port: 80, host: 'a|b' })).toThrow(/host/);
  });
});
