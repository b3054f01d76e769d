import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
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

describe('drain: POST /drain_listeners?graceful', () => {
  let up: Upstream;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    up = await httpUpstream('svc', (req, res) => {
      const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
      setTimeout(() => res.end('done'), ms);
    });
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: svc } }]`,
        staticCluster('svc', [up.port]),
      ),
      { drainTimeMs: 1500 },
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    await up.close();
  });

  it('stops accepting, closes idle HTTP/1, sends Connection: close and GOAWAY, and closes the rest after the window', async () => {
    // An idle keep-alive HTTP/1 connection.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await request(port, { path: '/warm', agent });
    const idleSocket = Object.values(agent.freeSockets)[0]?.[0];
    expect(idleSocket).toBeDefined();
    const idleClosed = new Promise<void>((r) => idleSocket!.once('close', () => r()));
    // An HTTP/2 session with a request in flight.
    const h2 = http2.connect(`http://127.0.0.1:${port}`);
    const goaway = new Promise<void>((r) => h2.once('goaway', () => r()));
    const h2Done = new Promise<number>((resolve, reject) => {
      const s = h2.request({ ':path': '/?ms=300' });
      s.on('response', (h) => resolve(Number(h[':status'])));
      s.on('error', reject);
      s.end();
    });
    // An HTTP/1 request in flight: its response must carry Connection: close.
    const inflight = request(port, { path: '/?ms=300', agent: false, headers: { connection: 'keep-alive' } });
    await new Promise((r) => setTimeout(r, 50));

    const t0 = Date.now();
    expect((await adminGet(proxy, '/drain_listeners?graceful', 'POST')).status).toBe(200);
    const r = await inflight;
    expect(r.status).toBe(200);
    expect(r.headers.connection).toBe('close');
    await goaway;
    expect(await h2Done).toBe(200);
    await idleClosed;
    // New connections are refused.
    const refused = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.on('connect', () => {
        c.destroy();
        resolve(false);
      });
      c.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect((await adminGet(proxy, '/ready')).status).toBe(503);
    h2.close();
    agent.destroy();
  });

  it('closes connections left open at the end of the drain window', async () => {
    // A raw connection on a fresh proxy, left idle mid-request, is closed by the window.
    const p2 = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: svc } }]`,
        staticCluster('svc', [up.port]),
      ),
      { drainTimeMs: 400 },
    );
    const c = net.connect(p2.listenerPort('http')!, '127.0.0.1');
    await new Promise<void>((r) => c.on('connect', () => r()));
    c.write('GET /?ms=5000 HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const closed = new Promise<number>((r) => c.on('close', () => r(Date.now() - t0)));
    c.on('error', () => {});
    await p2.drain(true);
    const after = await closed;
    expect(after).toBeGreaterThanOrEqual(350);
    expect(after).toBeLessThan(2000);
    await p2.shutdown();
  });
});
