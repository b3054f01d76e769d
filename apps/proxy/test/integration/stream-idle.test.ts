import net from 'node:net';
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

describe('stream idle timeout', () => {
  let stall: Upstream;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    stall = await httpUpstream('stall', (req, res) => {
      if (req.url === '/headers-then-stall') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      }
      // else: never answer
    });
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: stall, timeout: 0s, idle_timeout: 0.3s } }]`,
        staticCluster('stall', [stall.port]),
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    await stall.close();
  });

  it('answers 408 when nothing moves before the response starts', async () => {
    const t0 = Date.now();
    const r = await request(port, { path: '/silent' });
    expect(r.status).toBe(408);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('resets a response that stalls mid-body', async () => {
    const closed = await new Promise<string>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      let data = '';
      c.on('data', (d) => {
        data += d.toString();
      });
      c.on('close', () => resolve(data));
      c.on('error', () => {});
      c.write('GET /headers-then-stall HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    expect(closed).toContain('partial');
    expect(closed).not.toMatch(/\r\n0\r\n\r\n$/);
  });
});
