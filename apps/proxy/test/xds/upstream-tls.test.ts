// DestinationRule `tls` end to end: the real strait-pilot translates it into UpstreamTlsContext transport
// sockets, the real strait-proxy originates TLS from them to real TLS servers (node:https,
// node:http2 secure, node:tls), with certificates made by the openssl CLI at test time. Each server
// reports the SNI it saw, the ALPN protocol and the client certificate, so the assertions are about what
// actually went over the wire.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertDir } from '../helpers/certs.js';
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
  type Upstream,
  upstream,
  waitReady,
} from './helpers.js';

interface Server {
  port: number;
  close(): void;
}

/** What a TLS server saw about a connection: SNI, ALPN, client certificate CN. */
function seen(s: tls.TLSSocket): string {
  const peer = s.getPeerCertificate();
  const cn = peer && Object.keys(peer).length > 0 ? String(peer.subject?.CN) : 'none';
  return `sni=${s.servername || 'none'} alpn=${s.alpnProtocol || 'none'} client=${cn}`;
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as net.AddressInfo).port;
}

async function httpsServer(name: string, opts: https.ServerOptions): Promise<Server> {
  const server = https.createServer(opts, (req, res) => {
    res.end(`${name} ${req.url} ${seen(req.socket as tls.TLSSocket)}`);
  });
  const port = await listen(server);
  return { port, close: () => server.close() && server.closeAllConnections() };
}

async function h2Server(name: string, opts: http2.SecureServerOptions): Promise<Server> {
  const server = http2.createSecureServer(opts, (req, res) => {
    res.end(`${name} ${req.url} ${seen(req.socket as unknown as tls.TLSSocket)}`);
  });
  const port = await listen(server);
  return { port, close: () => server.close() };
}

async function tlsEchoServer(name: string, opts: tls.TlsOptions): Promise<Server> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(opts, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.once('data', (d: Buffer) => s.end(`${name} ${seen(s)} ${d.toString()}`));
  });
  const port = await listen(server);
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

function tcpRoundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(text));
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('tcp round trip timed out')));
  });
}

const SPIFFE = 'spiffe://strait.test/ns/default/sa/api';

describe.skipIf(!existsSync(PILOT_BIN) || !existsSync(PROXY_BIN))(
  'DestinationRule tls through strait-pilot and strait-proxy',
  () => {
    const certs = new CertDir();
    let dir: string;
    let pilot: { proc: Proc; xds: string; http: string };
    let proxy: { proc: Proc; admin: number; dir: string };
    const servers: Server[] = [];
    let plain: Upstream;
    // Service ports (the proxy's outbound listeners), one per scenario.
    const ports: Record<string, number> = {};
    const names = [
      'simple',
      'sub',
      'mtls',
      'nocert',
      'wrongca',
      'san',
      'h2',
      'tcp',
      'auto',
      'noauto',
      'mesh',
    ];

    function config(caFile: string): string {
      const ca = certs.path('ca.crt');
      const se = (host: string, port: number, protocol: string, endpoints: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${host.split('.')[0]}, namespace: default }
spec:
  hosts: [${host}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{ number: ${port}, name: p, protocol: ${protocol} }]
  endpoints:
${endpoints}
---`;
      const one = (p: number) => `    - { address: 127.0.0.1, ports: { p: ${p} } }`;
      const [https1, selfSigned, mtlsSrv, h2Srv, tcpSrv] = servers;
      return `
${se('simple.test', ports['simple']!, 'HTTP', one(https1!.port))}
${se('sub.test', ports['sub']!, 'HTTP', `    - { address: 127.0.0.1, ports: { p: ${https1!.port} }, labels: { v: ca } }\n    - { address: 127.0.0.1, ports: { p: ${selfSigned!.port} }, labels: { v: self } }`)}
${se('mtls.test', ports['mtls']!, 'HTTP', one(mtlsSrv!.port))}
${se('nocert.test', ports['nocert']!, 'HTTP', one(mtlsSrv!.port))}
${se('wrongca.test', ports['wrongca']!, 'HTTP', one(https1!.port))}
${se('san.test', ports['san']!, 'HTTP', one(https1!.port))}
${se('h2.test', ports['h2']!, 'GRPC', one(h2Srv!.port))}
${se('tcp.test', ports['tcp']!, 'TCP', one(tcpSrv!.port))}
${se('auto.test', ports['auto']!, 'HTTP', one(https1!.port))}
${se('noauto.test', ports['noauto']!, 'HTTP', one(https1!.port))}
${se('mesh.test', ports['mesh']!, 'HTTP', one(plain.port))}
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: simple, namespace: default }
spec:
  host: simple.test
  trafficPolicy:
    tls: { mode: SIMPLE, caCertificates: ${caFile}, sni: api.test, subjectAltNames: ["${SPIFFE}"] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: sub, namespace: default }
spec:
  host: sub.test
  trafficPolicy:
    tls: { mode: SIMPLE, caCertificates: ${ca}, sni: api.test }
  subsets:
    - { name: ca, labels: { v: ca } }
    - name: self
      labels: { v: self }
      trafficPolicy: { tls: { mode: SIMPLE, insecureSkipVerify: true, sni: self.test } }
    - { name: strict, labels: { v: self } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: sub, namespace: default }
spec:
  hosts: [sub.test]
  http:
    - match: [{ uri: { prefix: /ca } }]
      route: [{ destination: { host: sub.test, subset: ca } }]
    - match: [{ uri: { prefix: /self } }]
      route: [{ destination: { host: sub.test, subset: self } }]
    - route: [{ destination: { host: sub.test, subset: strict } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: mtls, namespace: default }
spec:
  host: mtls.test
  trafficPolicy:
    tls:
      mode: MUTUAL
      caCertificates: ${ca}
      clientCertificate: ${certs.path('client.crt')}
      privateKey: ${certs.path('client.key')}
      sni: api.test
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: nocert, namespace: default }
spec:
  host: nocert.test
  trafficPolicy: { tls: { mode: SIMPLE, caCertificates: ${ca}, sni: api.test } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: wrongca, namespace: default }
spec:
  host: wrongca.test
  trafficPolicy: { tls: { mode: SIMPLE, caCertificates: ${certs.path('other-ca.crt')}, sni: api.test } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: san, namespace: default }
spec:
  host: san.test
  trafficPolicy:
    tls: { mode: SIMPLE, caCertificates: ${ca}, sni: api.test, subjectAltNames: [spiffe://strait.test/ns/default/sa/other] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: h2, namespace: default }
spec:
  host: h2.test
  trafficPolicy: { tls: { mode: SIMPLE, caCertificates: ${ca}, sni: api.test } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: tcp, namespace: default }
spec:
  host: tcp.test
  trafficPolicy: { tls: { mode: SIMPLE, caCertificates: ${ca}, sni: api.test } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: auto, namespace: default }
spec:
  host: auto.test
  trafficPolicy: { tls: { mode: SIMPLE, caCertificates: ${ca} } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: noauto, namespace: default }
spec:
  host: noauto.test
  trafficPolicy: { tls: { mode: SIMPLE, caCertificates: ${ca} } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: mesh, namespace: default }
spec:
  host: mesh.test
  trafficPolicy: { tls: { mode: ISTIO_MUTUAL } }
`;
    }

    const stat = async (name: string): Promise<number> => {
      const body = (await get(proxy.admin, '127.0.0.1', '/stats')).body;
      const line = body.split('\n').find((l) => l.startsWith(`${name}: `));
      return Number(line?.slice(name.length + 2) ?? 0);
    };

    beforeAll(async () => {
      certs
        .selfSigned('ca')
        .selfSigned('other-ca')
        .leaf('server', 'ca', `DNS:api.test,DNS:auto.test,URI:${SPIFFE},IP:127.0.0.1`)
        .leaf('client', 'ca', 'URI:spiffe://strait.test/ns/default/sa/client', 'clientAuth')
        .selfSigned('self', 'DNS:self.test');
      const serverCreds = { cert: certs.pem('server.crt'), key: certs.pem('server.key') };
      servers.push(
        await httpsServer('ca-signed', serverCreds),
        await httpsServer('self-signed', { cert: certs.pem('self.crt'), key: certs.pem('self.key') }),
        await httpsServer('mtls', {
          ...serverCreds,
          ca: certs.pem('ca.crt'),
          requestCert: true,
          rejectUnauthorized: true,
        }),
        await h2Server('h2', serverCreds),
        await tlsEchoServer('tcp', serverCreds),
      );
      plain = await upstream('plain');
      for (const n of names) ports[n] = await freePort();
      dir = tempDir('xds-tls-');
      writeFileSync(join(dir, 'config.yaml'), config(certs.path('ca.crt')));
      pilot = await startPilot(dir);
      proxy = await startProxy(adsBootstrap({ xds: pilot.xds, variant: 'sotw' }), ['--interception', 'none']);
      await waitReady(proxy.admin);
      await eventually(
        () => get(ports['mesh']!, 'mesh.test', '/ready'),
        (r) => r.status === 200,
        15_000,
        'config pushed',
      );
    }, 60_000);

    afterAll(async () => {
      await proxy?.proc.stop();
      await pilot?.proc.stop();
      for (const s of servers) s.close();
      await plain?.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(certs.dir, { recursive: true, force: true });
      if (proxy) rmSync(proxy.dir, { recursive: true, force: true });
    });

    it('SIMPLE: verifies the server against the CA and a URI SAN, and sends the configured SNI', async () => {
      const r = await get(ports['simple']!, 'simple.test', '/s');
      expect(r.status).toBe(200);
      // HTTP/1.1 upstream: no ALPN (as Istio configures it), no client certificate.
      expect(r.body).toBe('ca-signed /s sni=api.test alpn=none client=none');
      expect(await stat(`cluster.outbound|${ports['simple']}||simple.test.ssl.handshake`)).toBeGreaterThan(0);
    });

    it('MUTUAL: presents the client certificate; SIMPLE to the same server fails the handshake (503 UF)', async () => {
      const ok = await get(ports['mtls']!, 'mtls.test', '/m');
      expect(ok.status).toBe(200);
      expect(ok.body).toBe('mtls /m sni=api.test alpn=none client=client');
      const refused = await get(ports['nocert']!, 'nocert.test', '/m');
      expect(refused.status).toBe(503);
      expect(refused.body).toContain('connection failure');
      const c = `cluster.outbound|${ports['nocert']}||nocert.test`;
      expect(await stat(`${c}.ssl.connection_error`)).toBeGreaterThan(0);
      expect(await stat(`${c}.upstream_cx_connect_fail`)).toBeGreaterThan(0);
    });

    it('a server certificate from another CA fails verification: 503 UF, ssl.fail_verify_error', async () => {
      const r = await get(ports['wrongca']!, 'wrongca.test', '/w');
      expect(r.status).toBe(503);
      expect(r.body).toContain('connection failure');
      const c = `cluster.outbound|${ports['wrongca']}||wrongca.test`;
      expect(await stat(`${c}.ssl.fail_verify_error`)).toBeGreaterThan(0);
      expect(await stat(`${c}.upstream_cx_connect_fail`)).toBeGreaterThan(0);
      const prom = (await get(proxy.admin, '127.0.0.1', '/stats/prometheus')).body;
      // (The pilot's default retry policy retries connect failures: URX joins UF.)
      expect(prom).toMatch(
        /istio_requests_total\{[^}]*destination_service="wrongca\.test"[^}]*response_code="503"[^}]*response_flags="[^"]*UF[^"]*"[^}]*\} [1-9]/,
      );
    });

    it('a SAN mismatch fails: 503, ssl.fail_verify_san', async () => {
      const r = await get(ports['san']!, 'san.test', '/x');
      expect(r.status).toBe(503);
      expect(await stat(`cluster.outbound|${ports['san']}||san.test.ssl.fail_verify_san`)).toBeGreaterThan(0);
    });

    it('subset-level tls overrides the top level: insecureSkipVerify reaches a self-signed server', async () => {
      expect((await get(ports['sub']!, 'sub.test', '/ca')).body).toBe(
        'ca-signed /ca sni=api.test alpn=none client=none',
      );
      expect((await get(ports['sub']!, 'sub.test', '/self')).body).toBe(
        'self-signed /self sni=self.test alpn=none client=none',
      );
      // The same self-signed server under the top-level policy (verify against the CA) is refused.
      const strict = await get(ports['sub']!, 'sub.test', '/strict');
      expect(strict.status).toBe(503);
      expect(
        await stat(`cluster.outbound|${ports['sub']}|strict|sub.test.ssl.fail_verify_error`),
      ).toBeGreaterThan(0);
    });

    it('HTTP/2 (GRPC port): TLS with ALPN h2', async () => {
      const r = await get(ports['h2']!, 'h2.test', '/g');
      expect(r.status).toBe(200);
      expect(r.body).toBe('h2 /g sni=api.test alpn=h2 client=none');
    });

    it('TCP: tcp_proxy originates TLS with the configured SNI', async () => {
      expect(await tcpRoundTrip(ports['tcp']!, 'hello')).toBe('tcp sni=api.test alpn=none client=none hello');
    });

    it('no sni: the request host is the SNI and the certificate must match it (auto_sni, auto_san_validation)', async () => {
      const r = await get(ports['auto']!, `auto.test:${ports['auto']}`, '/a');
      expect(r.status).toBe(200);
      expect(r.body).toBe('ca-signed /a sni=auto.test alpn=none client=none');
      // The same server for a host its certificate does not name fails the automatic SAN check.
      const other = await get(ports['noauto']!, 'noauto.test', '/a');
      expect(other.status).toBe(503);
      expect(
        await stat(`cluster.outbound|${ports['noauto']}||noauto.test.ssl.fail_verify_san`),
      ).toBeGreaterThan(0);
    });

    it('ISTIO_MUTUAL stays plaintext and the pilot reports it on /debug/configz', async () => {
      expect((await get(ports['mesh']!, 'mesh.test', '/p')).body).toBe('plain /p');
      const [host, port] = pilot.http.split(':');
      const configz = JSON.parse((await get(Number(port), host!, '/debug/configz')).body) as {
        notApplied: { object: string; field: string; reason: string }[];
      };
      expect(configz.notApplied).toContainEqual({
        object: 'DestinationRule/default/mesh',
        field: 'spec.trafficPolicy.tls.mode',
        reason: expect.stringContaining('plaintext'),
      });
    });

    it('an unreadable CA file is NACKed naming the field and the file; the last good cluster keeps serving', async () => {
      writeFileSync(join(dir, 'config.yaml'), config('/nonexistent/strait-ca.pem'));
      const dump = await eventually(
        async () => (await get(proxy.admin, '127.0.0.1', '/config_dump')).body,
        (b) => b.includes('/nonexistent/strait-ca.pem'),
        15_000,
        'the NACKed cluster in /config_dump',
      );
      expect(dump).toContain('validation_context.trusted_ca.filename');
      expect(dump).toContain('PROXY_ERR_TLS_FILE');
      const r = await get(ports['simple']!, 'simple.test', '/still');
      expect(r.status).toBe(200);
      expect(r.body).toBe('ca-signed /still sni=api.test alpn=none client=none');
    });
  },
);
