// The pure mapping rules, table-driven (no server needed).
import { describe, expect, it } from 'vitest';
import {
  conditionsOf,
  healthOf,
  labelsOf,
  leaseExpired,
  protocolOf,
} from '../../../src/backends/kubernetes/mapping.js';

describe('kubernetes mapping', () => {
  it.each([
    [{ appProtocol: 'kubernetes.io/h2c' }, 'http'],
    [{ appProtocol: 'grpc', name: 'http' }, 'grpc'],
    [{ name: 'grpc-api' }, 'grpc'],
    [{ name: 'dubbo' }, 'dubbo'],
    [{ name: 'http2-web' }, 'http'],
    [{ name: 'metrics' }, 'tcp'],
    [{}, 'tcp'],
  ] as const)('protocol of %j is %s', (port, want) => {
    expect(protocolOf(port)).toBe(want);
  });

  it('maps conditions to health and back', () => {
    expect(healthOf(undefined)).toBe('healthy');
    expect(healthOf({ ready: null })).toBe('healthy');
    expect(healthOf({ ready: false, serving: true, terminating: true })).toBe('draining');
    expect(healthOf({ ready: false, terminating: true, serving: false })).toBe('unhealthy');
    expect(healthOf({ ready: false })).toBe('unhealthy');
    for (const h of ['healthy', 'draining', 'unhealthy'] as const) expect(healthOf(conditionsOf(h))).toBe(h);
  });

  it('derives locality and version labels from the endpoint and pod', () => {
    const labels = labelsOf(
      { addresses: ['10.0.0.1'] },
      { metadata: { labels: { 'app.kubernetes.io/version': '2.1', 'istio-locality': 'r1.z1.s1' } } },
    );
    expect(labels).toMatchObject({ version: '2.1', region: 'r1', zone: 'z1', cell: 's1' });
    expect(labelsOf({ addresses: ['10.0.0.1'], zone: 'z9' }, undefined)).toEqual({ zone: 'z9' });
  });

  it('treats a lease as expired after renewTime + duration', () => {
    const lease = { spec: { renewTime: '2026-01-01T00:00:00.000000Z', leaseDurationSeconds: 2 } };
    const t = Date.parse('2026-01-01T00:00:00Z');
    expect(leaseExpired(lease, t + 1_999)).toBe(false);
    expect(leaseExpired(lease, t + 2_001)).toBe(true);
    expect(leaseExpired({ spec: {} }, t)).toBe(true);
  });
});
