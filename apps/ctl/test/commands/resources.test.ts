import { describe, expect, it } from 'vitest';
import { buildDemoResources, main } from '../../src/index.js';

function capture() {
  let out = '';
  let err = '';
  return {
    io: {
      out: (t: string) => {
        out += t;
      },
      err: (t: string) => {
        err += t;
      },
    },
    get: () => ({ out, err }),
  };
}

describe('resources (and demo --print)', () => {
  it('builds the same resources every time (builders are pure)', () => {
    expect(buildDemoResources()).toEqual(buildDemoResources());
  });

  it('splits by the requested weight and drops a zero-weight subset', () => {
    const r = buildDemoResources({ service: 'reviews', namespace: 'default', port: 9080, v1Weight: 0 });
    const route = r.routes[0]!.virtualHosts![0]!.routes![0]!;
    expect(route.route!.cluster).toBe('outbound|9080|v2|reviews.default.svc.cluster.local');
  });

  it('runs in-process', async () => {
    const c = capture();
    expect(await main(['resources', '--compact'], c.io)).toBe(0);
    expect(JSON.parse(c.get().out)).toHaveProperty('clusters');
  });

  it('prints only the asked kinds', async () => {
    const c = capture();
    expect(await main(['demo', '--print', '--only', 'clusters,endpoints', '--compact'], c.io)).toBe(0);
    expect(Object.keys(JSON.parse(c.get().out))).toEqual(['service', 'clusters', 'endpoints']);
    const bad = capture();
    expect(await main(['resources', '--only', 'secrets'], bad.io)).toBe(2);
    expect(bad.get().err).toContain('--only takes listeners, routes, clusters, endpoints; got "secrets"');
  });

  it('validates names', async () => {
    const c = capture();
    expect(await main(['resources', '--service', 'Bad_Name'], c.io)).toBe(2);
    expect(c.get().err).toContain('--service must be a DNS label');
  });
});
