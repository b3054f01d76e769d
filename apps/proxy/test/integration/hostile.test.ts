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

function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  gapMs = 0,
): Promise<{ data: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const c = net.connect(port, '127.0.0.1');
    let data = '';
    c.on('data', (d) => {
      data += d.toString('latin1');
    });
    c.on('error', () => {});
    c.on('close', () => resolve({ data, closedAfterMs: Date.now() - t0 }));
    let i = 0;
    const next = () => {
      if (i >= chunks.length || c.destroyed) return;
      c.write(chunks[i++]!);
      if (gapMs) setTimeout(next, gapMs);
      else next();
    };
    c.on('connect', next);
  });
}

describe('hostile input: limits, timeouts, malformed frames (counted, closed, never a crash)', () => {
  let up: Upstream;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    up = await httpUpstream('svc');
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: svc } }]`,
        staticCluster('svc', [up.port]),
        `max_request_headers_kb: 8
request_headers_timeout: 0.5s`,
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    await up.close();
  });

  const stat = async (name: string) =>
    Number(
      new RegExp(`${name.replace(/\./g, '\\.')}: (\\d+)`).exec((await adminGet(proxy, '/stats')).body)?.[1],
    );

  it('refuses oversized headers with 431 and counts them', async () => {
    const r = await rawExchange(port, [`GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    expect(r.data).toMatch(/^HTTP\/1\.1 431/);
    expect(await stat('http.outbound_http.downstream_rq_headers_too_large')).toBe(1);
  });

  it('closes slowloris connections at request_headers_timeout', async () => {
    const parts = [
      'GET / HTTP/1.1\r\n',
      'host: x\r\n',
      'x-a: 1\r\n',
      'x-b: 2\r\n',
      'x-c: 3\r\n',
      'x-d: 4\r\n',
      'x-e: 5\r\n',
      'x-f: 6\r\n',
    ];
    const r = await rawExchange(port, parts, 300);
    expect(r.closedAfterMs).toBeLessThan(2200);
    expect(await stat('http.outbound_http.downstream_rq_header_timeout')).toBeGreaterThanOrEqual(1);
  });

  it('answers malformed HTTP/1 with 400 and a protocol error counter', async () => {
    const r = await rawExchange(port, ['GET / HTTP/1.1\r\nhost: x\r\nbad header line\r\n\r\n']);
    expect(r.data).toMatch(/^HTTP\/1\.1 400/);
    expect(await stat('http.outbound_http.downstream_cx_protocol_error')).toBeGreaterThanOrEqual(1);
  });

  it('closes an HTTP/2 connection that sends garbage frames, and keeps serving', async () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    // A frame header claiming a 16 MiB DATA frame on stream 0, then junk.
    const junk = Buffer.from([0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5]);
    const r = await rawExchange(port, [preface, junk]);
    expect(r.closedAfterMs).toBeLessThan(2000);
    const c = http2.connect(`http://127.0.0.1:${port}`);
    const status = await new Promise<number>((resolve, reject) => {
      const s = c.request({ ':path': '/' });
      s.on('response', (h) => resolve(Number(h[':status'])));
      s.on('error', reject);
      s.end();
    });
    c.close();
    expect(status).toBe(200);
    expect((await request(port, { path: '/' })).status).toBe(200);
  });
});

describe('connection limit per listener', () => {
  it('closes connections above --max-connections-per-listener and counts them', async () => {
    const up = await httpUpstream('svc');
    const proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: svc } }]`,
        staticCluster('svc', [up.port]),
      ),
      { maxConnectionsPerListener: 2 },
    );
    const port = proxy.listenerPort('http')!;
    const open = () =>
      new Promise<net.Socket>((resolve) => {
        const c = net.connect(port, '127.0.0.1', () => resolve(c));
        c.on('error', () => {});
      });
    const a = await open();
    const b = await open();
    await new Promise((r) => setTimeout(r, 50));
    const c = await open();
    const closed = await new Promise<boolean>((resolve) => {
      c.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 1000);
    });
    expect(closed).toBe(true);
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(stats).toMatch(/downstream_cx_overflow: 1/);
    a.destroy();
    b.destroy();
    await proxy.shutdown();
    await up.close();
  });
});
