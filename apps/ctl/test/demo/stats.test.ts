import { describe, expect, it } from 'vitest';
import { LatencyHistogram, ProtocolStats } from '../../src/demo/stats.js';

describe('demo stats', () => {
  it('reports percentiles within the bucket growth (5%)', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.add(i / 10);
    expect(h.quantile(0.99)).toBeGreaterThanOrEqual(99);
    expect(h.quantile(0.99)).toBeLessThanOrEqual(99 * 1.05);
    expect(new LatencyHistogram().quantile(0.99)).toBe(0);
  });

  it('counts per window, phase and total, by version, with capped error kinds', () => {
    const s = new ProtocolStats();
    s.record({ ok: true, version: 'v1', ms: 1 }, 'a');
    s.record({ ok: true, version: 'v2', ms: 2 }, 'a');
    for (let i = 0; i < 20; i++) s.record({ ok: false, error: `e${i}`, ms: 3 }, 'b');
    expect(s.takeWindow().requests).toBe(22);
    expect(s.takeWindow().requests).toBe(0);
    expect(s.phaseSummary('a').byVersion).toEqual({ v1: 1, v2: 1 });
    const total = s.totalSummary();
    expect(total.failed).toBe(20);
    expect(Object.keys(total.errors)).toHaveLength(9);
    expect(total.errors['other']).toBe(12);
    expect(total.successRate).toBe(9.09);
  });
});
