import { describe, expect, it } from 'vitest';
import { METRICS, Metrics } from '../src/metrics.js';

describe('Metrics', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', () => {
    const m = new Metrics();
    m.set('pilot_xds', 3);
    m.inc('pilot_xds_pushes', { type: 'eds' });
    m.inc('pilot_xds_pushes', { type: 'eds' });
    m.observe('pilot_xds_config_size_bytes', 5000, { type: 'cds' });
    const text = m.render();
    expect(text).toContain('# TYPE pilot_xds gauge\npilot_xds 3\n');
    expect(text).toContain('pilot_xds_pushes{type="eds"} 2');
    expect(text).toContain('pilot_xds_config_size_bytes_bucket{type="cds",le="1"} 0');
    expect(text).toContain('pilot_xds_config_size_bytes_bucket{type="cds",le="10000"} 1');
    expect(text).toContain('pilot_xds_config_size_bytes_bucket{type="cds",le="+Inf"} 1');
    expect(text).toContain('pilot_xds_config_size_bytes_sum{type="cds"} 5000');
    expect(m.count('pilot_xds_config_size_bytes', { type: 'cds' })).toBe(1);
  });

  it('declares every metric once with help text, under Istio names', () => {
    for (const [name, spec] of Object.entries(METRICS)) {
      expect(name).toMatch(/^pilot_[a-z0-9_]+$/);
      expect(spec.help.length).toBeGreaterThan(10);
    }
    expect(Object.keys(METRICS)).toEqual(
      expect.arrayContaining([
        'pilot_xds',
        'pilot_xds_pushes',
        'pilot_proxy_convergence_time',
        'pilot_xds_config_size_bytes',
        'pilot_total_xds_rejects',
        'pilot_xds_push_time',
      ]),
    );
  });

  it('escapes label values', () => {
    const m = new Metrics();
    m.inc('pilot_push_triggers', { type: 'a"b\\c' });
    expect(m.render()).toContain('pilot_push_triggers{type="a\\"b\\\\c"} 1');
  });
});
