import { describe, expect, it } from 'vitest';
import { envoy } from '../src/index.js';

describe('generated codecs', () => {
  it('round-trips a ClusterLoadAssignment', () => {
    const cla = { clusterName: 'outbound|80||a.default.svc.cluster.local', endpoints: [{ lbEndpoints: [] }] };
    const bytes = envoy.config.endpoint.v3.ClusterLoadAssignment.encode(cla).finish();
    const back = envoy.config.endpoint.v3.ClusterLoadAssignment.decode(bytes);
    expect(back.clusterName).toBe(cla.clusterName);
  });
});
