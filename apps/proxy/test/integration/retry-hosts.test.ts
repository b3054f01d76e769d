import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import {
  httpBootstrap,
  httpUpstream,
  request,
  startProxy,
  staticCluster,
  type Upstream,
} from '../helpers/harness.js';

describe('retry_host_predicate previous_hosts', () => {
  let good: Upstream;
  let bad: Upstream;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    good = await httpUpstream('good', (_q, r) => r.end('good'));
    bad = await httpUpstream('bad', (_q, r) => r.writeHead(503).end('bad'));
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes:
    - match: { prefix: "/" }
      route:
        cluster: svc
        retry_policy:
          retry_on: "5xx"
          num_retries: 1
          retry_back_off: { base_interval: 0.001s }
          retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts }]
          host_selection_retry_max_attempts: 30`,
        staticCluster('svc', [good.port, bad.port], 'lb_policy: RANDOM'),
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    await good.close();
    await bad.close();
  });

  it('retries on a host it has not tried yet', async () => {
    for (let i = 0; i < 30; i++) expect((await request(port, { path: `/${i}` })).body).toBe('good');
    expect(bad.hits).toBeGreaterThan(0);
  });
});
