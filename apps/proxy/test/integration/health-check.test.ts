import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import {
  adminGet,
  httpBootstrap,
  httpUpstream,
  request,
  startProxy,
  staticCluster,
  type Upstream,
} from '../helpers/harness.js';

describe('active HTTP health checks', () => {
  let good: Upstream;
  let sick: Upstream & { healthy: boolean };
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    good = await httpUpstream('good', (req, res) => res.end(req.url === '/healthz' ? 'ok' : 'good'));
    sick = Object.assign(
      await httpUpstream('sick', (req, res) => {
        if (req.url === '/healthz') res.writeHead(sick.healthy ? 200 : 503).end();
        else res.end('sick');
      }),
      { healthy: false },
    );
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: svc } }]`,
        staticCluster(
          'svc',
          [good.port, sick.port],
          'health_checks: [{ timeout: 0.5s, interval: 0.1s, unhealthy_threshold: 2, healthy_threshold: 2, http_health_check: { path: /healthz } }]',
        ),
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    await good.close();
    await sick.close();
  });

  const waitFor = async (pred: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await pred()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('condition not reached');
  };

  it('sends traffic only to hosts passing the check, and back once they recover', async () => {
    await waitFor(async () =>
      (await adminGet(proxy, '/clusters')).body.includes(
        `svc::127.0.0.1:${good.port}::health_flags::healthy`,
      ),
    );
    expect((await adminGet(proxy, '/clusters')).body).toContain(
      `svc::127.0.0.1:${sick.port}::health_flags::/failed_active_hc`,
    );
    for (let i = 0; i < 10; i++) expect((await request(port, { path: '/x' })).body).toBe('good');
    sick.healthy = true;
    await waitFor(async () =>
      (await adminGet(proxy, '/clusters')).body.includes(
        `svc::127.0.0.1:${sick.port}::health_flags::healthy`,
      ),
    );
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add((await request(port, { path: '/x' })).body);
    expect(seen).toEqual(new Set(['good', 'sick']));
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(stats).toMatch(/cluster\.svc\.health_check\.failure: [1-9]/);
  });
});
