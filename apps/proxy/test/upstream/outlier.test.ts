import { describe, expect, it, vi } from 'vitest';
import { Host } from '../../src/upstream/host.js';
import { OutlierDetector } from '../../src/upstream/outlier.js';

const cfg = {
  consecutive5xx: 3,
  enforcingConsecutive5xx: 100,
  consecutiveGatewayFailure: 2,
  enforcingConsecutiveGatewayFailure: 0,
  intervalMs: 10_000,
  baseEjectionTimeMs: 1000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 50,
};

function setup(n = 4) {
  const hosts = Array.from(
    { length: n },
    (_, i) => new Host('10.0.0.1', 9000 + i, 1, 'HEALTHY', 0, { region: '', zone: '', subZone: '' }),
  );
  const events: string[] = [];
  const od = new OutlierDetector(cfg, {
    hosts: () => hosts,
    changed: () => events.push('changed'),
    onEject: (r) => events.push(`eject:${r}`),
    onOverflow: () => events.push('overflow'),
    random: () => 0.5,
  });
  return { hosts, events, od };
}

describe('outlier detection', () => {
  it('ejects after consecutive 5xx, resets on success, and un-ejects after base_ejection_time x count', () => {
    vi.useFakeTimers();
    const { hosts, events, od } = setup();
    const h = hosts[0]!;
    od.report(h, { status: 500 });
    od.report(h, { status: 500 });
    od.report(h, { status: 200 });
    od.report(h, { status: 500 });
    expect(h.ejected).toBe(false);
    od.report(h, { status: 500 });
    od.report(h, { status: 500 });
    expect(h.ejected).toBe(true);
    expect(events).toContain('eject:consecutive_5xx');
    vi.advanceTimersByTime(999);
    expect(h.ejected).toBe(true);
    vi.advanceTimersByTime(2);
    expect(h.ejected).toBe(false);
    // Second ejection lasts twice as long.
    for (let i = 0; i < 3; i++) od.report(h, { local: 'connect-failure' });
    expect(h.ejected).toBe(true);
    vi.advanceTimersByTime(1500);
    expect(h.ejected).toBe(true);
    vi.advanceTimersByTime(600);
    expect(h.ejected).toBe(false);
    od.close();
    vi.useRealTimers();
  });

  it('gateway failures eject only when enforced, and max_ejection_percent caps ejections', () => {
    const { hosts, events, od } = setup(4);
    for (let i = 0; i < 3; i++) od.report(hosts[0]!, { status: 503 });
    expect(hosts[0]!.ejected).toBe(true); // by consecutive_5xx (gateway enforcement is 0%)
    expect(events.filter((e) => e === 'eject:consecutive_gateway_failure')).toHaveLength(0);
    for (let i = 0; i < 3; i++) od.report(hosts[1]!, { status: 500 });
    expect(hosts[1]!.ejected).toBe(true); // 2 of 4 = 50%
    for (let i = 0; i < 3; i++) od.report(hosts[2]!, { status: 500 });
    expect(hosts[2]!.ejected).toBe(false); // would be 75% > 50%
    expect(events).toContain('overflow');
    od.close();
  });
});
