// VirtualService corsPolicy end to end: the real strait-pilot translates it into Envoy's CORS filter
// and per-route CorsPolicy, the real strait-proxy enforces it in front of a real HTTP backend.
// Preflights with allowed origins are answered by the proxy; non-matching ones are answered or
// forwarded per unmatchedPreflights; actual requests get CORS headers only for allowed origins.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adsBootstrap,
  eventually,
  freePort,
  get,
  PILOT_BIN,
  PROXY_BIN,
  type Proc,
  startPilot,
  startProxy,
  tempDir,
  waitReady,
} from './helpers.js';

interface Backend {
  port: number;
  /** Method and path of every request that reached the backend. */
  seen: string[];
  close(): Promise<void>;
}

async function backend(): Promise<Backend> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.setHeader('x-trace', 'abc');
    res.end(`backend ${req.method} ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, host: string, method: string, path: string, headers: Record<string, string>) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers: { host, ...headers }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

function config(webPort: number, backendPort: number): string {
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: web, namespace: default }
spec:
  hosts: [web.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${webPort}, name: http, protocol: HTTP }]
  endpoints: [{ address: 127.0.0.1, ports: { http: ${backendPort} } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [web.test]
  http:
    - name: strict
      match: [{ uri: { prefix: /strict } }]
      route: [{ destination: { host: web.test } }]
      corsPolicy:
        allowOrigins: [{ exact: "https://app.example.com" }, { prefix: "https://dev." }]
        allowMethods: [GET, PUT]
        allowHeaders: [x-token]
        exposeHeaders: [x-trace]
        maxAge: 10m
        allowCredentials: true
        unmatchedPreflights: IGNORE
    - name: open
      route: [{ destination: { host: web.test } }]
      corsPolicy:
        allowOrigins: [{ regex: "https://[a-z]+\\\\.example\\\\.org" }]
        allowMethods: [POST]
`;
}

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'access-control-expose-headers',
];
const corsOf = (a: Answer) =>
  Object.fromEntries(CORS_HEADERS.filter((h) => a.headers[h] !== undefined).map((h) => [h, a.headers[h]]));

describe.skipIf(!existsSync(PILOT_BIN) || !existsSync(PROXY_BIN))(
  'corsPolicy through strait-pilot and strait-proxy',
  () => {
    let dir: string;
    let be: Backend;
    let webPort: number;
    let pilot: { proc: Proc; xds: string; http: string };
    let proxy: { proc: Proc; admin: number; dir: string };
    const host = () => `web.test:${webPort}`;

    beforeAll(async () => {
      dir = tempDir('xds-cors-');
      be = await backend();
      webPort = await freePort();
      writeFileSync(join(dir, 'config.yaml'), config(webPort, be.port));
      pilot = await startPilot(dir);
      proxy = await startProxy(adsBootstrap({ xds: pilot.xds, variant: 'sotw' }), ['--interception', 'none']);
      await waitReady(proxy.admin);
      await eventually(
        () => request(webPort, host(), 'GET', '/strict/ready', {}),
        (x) => x.status === 200,
        15_000,
        'traffic through the pilot-configured listener',
      );
    }, 60_000);

    afterAll(async () => {
      await proxy?.proc.stop();
      await pilot?.proc.stop();
      await be?.close();
      rmSync(dir, { recursive: true, force: true });
      if (proxy) rmSync(proxy.dir, { recursive: true, force: true });
    });

    const preflight = (path: string, origin: string) =>
      request(webPort, host(), 'OPTIONS', path, {
        origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'x-token',
      });

    it('answers a preflight from an allowed origin itself, with the policy', async () => {
      const before = be.seen.length;
      const r = await preflight('/strict/item', 'https://app.example.com');
      expect(r.status).toBe(200);
      expect(corsOf(r)).toEqual({
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET,PUT',
        'access-control-allow-headers': 'x-token',
        'access-control-max-age': '600',
      });
      expect(r.body).toBe('');
      expect(be.seen.length).toBe(before);
    });

    it('answers a non-matching preflight without allow-origin when unmatchedPreflights is IGNORE', async () => {
      const before = be.seen.length;
      const r = await preflight('/strict/item', 'https://evil.example.net');
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(be.seen.length).toBe(before);
    });

    it('forwards a non-matching preflight by default, adding no CORS headers', async () => {
      const r = await preflight('/open', 'https://evil.example.net');
      expect(r.status).toBe(200);
      expect(r.body).toBe('backend OPTIONS /open');
      expect(be.seen).toContain('OPTIONS /open');
      expect(corsOf(r)).toEqual({});
    });

    it('adds allow-origin, credentials and expose headers to actual requests from allowed origins', async () => {
      const r = await request(webPort, host(), 'GET', '/strict/data', { origin: 'https://dev.example.com' });
      expect(r.status).toBe(200);
      expect(r.body).toBe('backend GET /strict/data');
      expect(corsOf(r)).toEqual({
        'access-control-allow-origin': 'https://dev.example.com',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-trace',
      });
      const open = await request(webPort, host(), 'POST', '/open', { origin: 'https://shop.example.org' });
      expect(corsOf(open)).toEqual({ 'access-control-allow-origin': 'https://shop.example.org' });
    });

    it('adds nothing for disallowed origins or requests without an Origin', async () => {
      const bad = await request(webPort, host(), 'GET', '/strict/data', {
        origin: 'https://app.example.com.evil',
      });
      expect(bad.status).toBe(200);
      expect(bad.body).toBe('backend GET /strict/data');
      expect(corsOf(bad)).toEqual({});
      // The regex is anchored: a suffix after the allowed origin does not match.
      const open = await request(webPort, host(), 'GET', '/open', {
        origin: 'https://shop.example.org.evil',
      });
      expect(corsOf(open)).toEqual({});
      const none = await request(webPort, host(), 'GET', '/strict/data', {});
      expect(corsOf(none)).toEqual({});
    });

    it('counts valid and invalid origins in Envoy-named stats', async () => {
      const stats = (await get(proxy.admin, '127.0.0.1', '/stats?filter=cors')).body;
      const prefix = `http.outbound_0.0.0.0_${webPort}.cors.`;
      expect(
        Number(new RegExp(`${prefix.replaceAll('.', '\\.')}origin_valid: (\\d+)`).exec(stats)?.[1]),
      ).toBeGreaterThan(0);
      expect(
        Number(new RegExp(`${prefix.replaceAll('.', '\\.')}origin_invalid: (\\d+)`).exec(stats)?.[1]),
      ).toBeGreaterThan(0);
    });
  },
);
