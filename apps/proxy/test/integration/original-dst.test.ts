import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import { httpBootstrap, httpUpstream, request, startProxy, type Upstream } from '../helpers/harness.js';

describe('ORIGINAL_DST clusters', () => {
  let up: Upstream;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    up = await httpUpstream('dst');
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: PassthroughCluster } }]`,
        `
    - name: PassthroughCluster
      type: ORIGINAL_DST
      lb_policy: CLUSTER_PROVIDED
      connect_timeout: 1s`,
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    await up.close();
  });

  it('has no host without an original destination (never loops back to the proxy)', async () => {
    const r = await request(port, { path: '/x' });
    expect(r.status).toBe(503);
  });

  it('forwards to the original destination the resolver reports', async () => {
    proxy.ctx.originalDst = () => ({ address: '127.0.0.1', port: up.port });
    const r = await request(port, { path: '/passthrough' });
    expect(JSON.parse(r.body)).toMatchObject({ name: 'dst', url: '/passthrough' });
    proxy.ctx.originalDst = undefined;
  });
});
