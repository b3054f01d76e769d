// VirtualService `tls` routes end to end: the real strait-pilot (config from a directory) configures
// the real strait-proxy binary over ADS, and real TLS servers behind it are reached by SNI through
// TLS passthrough (the client verifies each server's certificate across the proxy). Covers exact SNI
// routes, a weighted split, the service's own SNI = host chain, the default (the service itself) for
// an SNI no route names, and a route change pushed live.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOpenssl, makePki, type TestPki, type TlsBackend, tlsBackend, tlsCall } from '../helpers/tls.js';
import {
  adsBootstrap,
  eventually,
  freePort,
  PILOT_BIN,
  PROXY_BIN,
  type Proc,
  startPilot,
  startProxy,
  tempDir,
  waitReady,
} from './helpers.js';

function services(
  edgePort: number,
  aPort: number,
  bPort: number,
  a: number,
  b: number,
  edge: number,
): string {
  const se = (name: string, host: string, port: number, ep: number) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: default }
spec:
  hosts: [${host}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{ number: ${port}, name: tls, protocol: TLS }]
  endpoints: [{ address: 127.0.0.1, ports: { tls: ${ep} } }]
`;
  return [
    se('edge', 'edge.test', edgePort, edge),
    se('a', 'a.internal', aPort, a),
    se('b', 'b.internal', bPort, b),
  ].join('---');
}

function routes(aPort: number, bPort: number, aSni: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: default }
spec:
  hosts: [edge.test, "*.example.com"]
  tls:
    - match: [{ sniHosts: [${aSni}] }]
      route: [{ destination: { host: a.internal, port: { number: ${aPort} } } }]
    - match: [{ sniHosts: [b.example.com] }]
      route: [{ destination: { host: b.internal, port: { number: ${bPort} } } }]
    - match: [{ sniHosts: [split.example.com] }]
      route:
        - { destination: { host: a.internal, port: { number: ${aPort} } }, weight: 80 }
        - { destination: { host: b.internal, port: { number: ${bPort} } }, weight: 20 }
`;
}

describe.skipIf(!existsSync(PILOT_BIN) || !existsSync(PROXY_BIN) || !hasOpenssl())(
  'VirtualService tls routes through strait-pilot and strait-proxy',
  () => {
    let dir: string;
    let pki: TestPki;
    let a: TlsBackend;
    let b: TlsBackend;
    let edge: TlsBackend;
    let edgePort: number;
    let aPort: number;
    let bPort: number;
    let pilot: { proc: Proc; xds: string; http: string };
    let proxy: { proc: Proc; admin: number; dir: string };

    beforeAll(async () => {
      dir = tempDir('xds-tls-');
      pki = makePki(['*.example.com', 'a.internal', 'edge.test', 'unknown.test']);
      [a, b, edge] = await Promise.all([tlsBackend('A', pki), tlsBackend('B', pki), tlsBackend('EDGE', pki)]);
      [edgePort, aPort, bPort] = [await freePort(), await freePort(), await freePort()];
      writeFileSync(join(dir, 'services.yaml'), services(edgePort, aPort, bPort, a.port, b.port, edge.port));
      writeFileSync(join(dir, 'vs.yaml'), routes(aPort, bPort, 'a.example.com'));
      pilot = await startPilot(dir);
      proxy = await startProxy(adsBootstrap({ xds: pilot.xds, variant: 'sotw' }), ['--interception', 'none']);
      await waitReady(proxy.admin);
    }, 60_000);

    afterAll(async () => {
      await proxy?.proc.stop();
      await pilot?.proc.stop();
      await Promise.all([a?.close(), b?.close(), edge?.close()]);
      rmSync(dir, { recursive: true, force: true });
      if (proxy) rmSync(proxy.dir, { recursive: true, force: true });
    });

    it('reaches server A with SNI a.example.com and server B with SNI b.example.com', async () => {
      const first = await eventually(
        () => tlsCall(edgePort, 'a.example.com', pki, 'x').catch((e: Error) => e.message),
        (r) => r.startsWith('A '),
        15_000,
        'the TLS listener pushed by the pilot',
      );
      expect(first).toBe('A sni=a.example.com alpn=-: x');
      expect(await tlsCall(edgePort, 'b.example.com', pki, 'y', ['h2'])).toBe(
        'B sni=b.example.com alpn=h2: y',
      );
    });

    it('splits SNI split.example.com 80/20 between A and B', async () => {
      const seen = { A: 0, B: 0 } as Record<string, number>;
      for (let i = 0; i < 60; i++) {
        const r = await tlsCall(edgePort, 'split.example.com', pki, `${i}`);
        const who = r.split(' ')[0]!;
        seen[who] = (seen[who] ?? 0) + 1;
      }
      expect(Object.keys(seen).sort()).toEqual(['A', 'B']);
      expect(seen['A']! + seen['B']!).toBe(60);
      expect(seen['B']).toBeGreaterThan(0);
      // 80/20 of 60: A below B would be a 1-in-10^6 event.
      expect(seen['A']).toBeGreaterThan(seen['B']!);
    });

    it("reaches a TLS service without tls routes by SNI = its host, on that service's own port", async () => {
      expect(await tlsCall(aPort, 'a.internal', pki, 'own')).toBe('A sni=a.internal alpn=-: own');
    });

    it('sends an SNI no route names to the default: the service itself (its own cluster)', async () => {
      const handshakes = a.handshakes + b.handshakes;
      expect(await tlsCall(edgePort, 'unknown.test', pki, 'w')).toBe('EDGE sni=unknown.test alpn=-: w');
      expect(await tlsCall(edgePort, 'edge.test', pki, 'v')).toBe('EDGE sni=edge.test alpn=-: v');
      expect(a.handshakes + b.handshakes).toBe(handshakes);
    });

    it('follows a VirtualService change: a new SNI for A, the old one goes to the default', async () => {
      writeFileSync(join(dir, 'vs.yaml'), routes(aPort, bPort, 'new-a.example.com'));
      const r = await eventually(
        () => tlsCall(edgePort, 'new-a.example.com', pki, 'z').catch((e: Error) => e.message),
        (x) => x.startsWith('A '),
        15_000,
        'the new SNI route',
      );
      expect(r).toBe('A sni=new-a.example.com alpn=-: z');
      // The old name now takes the default chain; the cert lists it (*.example.com), so EDGE answers.
      expect(await tlsCall(edgePort, 'a.example.com', pki, 'old')).toBe('EDGE sni=a.example.com alpn=-: old');
      expect(await tlsCall(edgePort, 'b.example.com', pki, 'still')).toBe(
        'B sni=b.example.com alpn=-: still',
      );
    });
  },
);
