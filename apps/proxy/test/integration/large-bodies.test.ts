import { createHash } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import { httpBootstrap, httpUpstream, startProxy, staticCluster, type Upstream } from '../helpers/harness.js';

const SIZE = 16 * 1024 * 1024;
const blob = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i += 4) blob.writeUInt32LE(i, i);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('large bodies stream with backpressure both ways', () => {
  let up: Upstream;
  let proxy: StraitProxy;
  let port: number;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);

  beforeAll(async () => {
    process.on('warning', onWarning);
    up = await httpUpstream('big', (req, res) => {
      if (req.url === '/download') {
        res.writeHead(200, { 'content-length': String(SIZE) });
        res.end(blob);
        return;
      }
      // Upload: read slowly, answer with the digest.
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        hash.update(c);
        n += c.length;
        req.pause();
        setTimeout(() => req.resume(), 1);
      });
      req.on('end', () => res.end(JSON.stringify({ n, sha: hash.digest('hex') })));
    });
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: big, timeout: 30s } }]`,
        staticCluster('big', [up.port]),
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    process.off('warning', onWarning);
    await proxy.shutdown();
    await up.close();
  });

  it('HTTP/1.1 upload to a slow reader and download to a slow client', async () => {
    const res = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/upload', method: 'POST' }, (r) => {
        let b = '';
        r.on('data', (d) => {
          b += d;
        });
        r.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end(blob);
    });
    expect(JSON.parse(res)).toEqual({ n: SIZE, sha: sha(blob) });

    const got = await new Promise<Buffer>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/download' }, (r) => {
          const parts: Buffer[] = [];
          r.on('data', (c: Buffer) => {
            parts.push(c);
            r.pause();
            setImmediate(() => r.resume());
          });
          r.on('end', () => resolve(Buffer.concat(parts)));
        })
        .on('error', reject);
    });
    expect(sha(got)).toBe(sha(blob));
  });

  it('HTTP/2 download (h2c downstream, HTTP/1.1 upstream)', async () => {
    const c = http2.connect(`http://127.0.0.1:${port}`);
    const got = await new Promise<Buffer>((resolve, reject) => {
      const s = c.request({ ':path': '/download' });
      const parts: Buffer[] = [];
      s.on('data', (d: Buffer) => parts.push(d));
      s.on('end', () => resolve(Buffer.concat(parts)));
      s.on('error', reject);
      s.end();
    });
    c.close();
    expect(sha(got)).toBe(sha(blob));
    expect(warnings).toEqual([]);
  });
});
