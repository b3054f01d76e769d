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

describe('hash policies with ring hash and Maglev', () => {
  const ups: Upstream[] = [];
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    for (let i = 0; i < 4; i++) ups.push(await httpUpstream(`u${i}`, (_q, r) => r.end(`u${i}`)));
    const ports = ups.map((u) => u.port);
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes:
    - match: { prefix: "/ring" }
      route: { cluster: ring, hash_policy: [{ header: { header_name: x-user } }] }
    - match: { prefix: "/maglev" }
      route: { cluster: maglev, hash_policy: [{ query_parameter: { name: user } }] }`,
        staticCluster('ring', ports, 'lb_policy: RING_HASH') +
          staticCluster('maglev', ports, 'lb_policy: MAGLEV'),
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    for (const u of ups) await u.close();
  });

  it('keeps a key on one host and spreads keys over hosts', async () => {
    for (const [path, key] of [
      ['/ring', (u: string) => ({ headers: { 'x-user': u } })],
      ['/maglev', (u: string) => ({ path: `/maglev?user=${u}` })],
    ] as const) {
      const seen = new Set<string>();
      for (let u = 0; u < 24; u++) {
        const first = (await request(port, { path, ...key(`user-${u}`) })).body;
        for (let i = 0; i < 3; i++)
          expect((await request(port, { path, ...key(`user-${u}`) })).body).toBe(first);
        seen.add(first);
      }
      expect(seen.size).toBeGreaterThanOrEqual(3);
    }
  });
});
