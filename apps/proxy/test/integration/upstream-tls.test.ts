// Upstream TLS inside one strait-proxy (static bootstrap): active health checks connect over the
// cluster's TLS (a host whose certificate does not verify fails them), and handshake failures feed
// outlier detection like any connect failure. The pilot-driven end-to-end test is test/xds/upstream-tls.
import https from 'node:https';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import { CertDir } from '../helpers/certs.js';
import { adminGet, httpBootstrap, listen, request, startProxy, staticCluster } from '../helpers/harness.js';

const certs = new CertDir();

function tlsSocket(extra = ''): string {
  return `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
    sni: api.test
    common_tls_context:
      validation_context: { trusted_ca: { filename: ${certs.path('ca.crt')} } }
${extra}`;
}

describe('upstream TLS in health checks and outlier detection', () => {
  const servers: https.Server[] = [];
  let good: number;
  let untrusted: number;
  let hcProxy: StraitProxy;
  let odProxy: StraitProxy;
  const healthHits = { good: 0, untrusted: 0 };

  async function server(name: 'good' | 'untrusted', cert: string): Promise<number> {
    const s = https.createServer(
      { cert: certs.pem(`${cert}.crt`), key: certs.pem(`${cert}.key`) },
      (req, res) => {
        if (req.url === '/healthz') healthHits[name]++;
        res.end(`${name} ${(req.socket as tls.TLSSocket).servername}`);
      },
    );
    servers.push(s);
    return listen(s);
  }

  beforeAll(async () => {
    certs.selfSigned('ca').leaf('server', 'ca', 'DNS:api.test').selfSigned('self', 'DNS:api.test');
    good = await server('good', 'server');
    untrusted = await server('untrusted', 'self');
    const vhost = `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: svc } }]`;
    hcProxy = await startProxy(
      httpBootstrap(
        vhost,
        staticCluster(
          'svc',
          [good, untrusted],
          `health_checks: [{ timeout: 0.5s, interval: 0.1s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: /healthz } }]
${tlsSocket()}`,
        ),
      ),
    );
    odProxy = await startProxy(
      httpBootstrap(
        vhost,
        staticCluster(
          'svc',
          [good, untrusted],
          `outlier_detection: { consecutive_5xx: 2, consecutive_gateway_failure: 2, interval: 60s, base_ejection_time: 60s, max_ejection_percent: 100 }
${tlsSocket()}`,
        ),
      ),
    );
  });

  afterAll(async () => {
    await hcProxy?.shutdown();
    await odProxy?.shutdown();
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  const waitFor = async (pred: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 100; i++) {
      if (await pred()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${what} not reached`);
  };

  it('health checks use the cluster TLS: the untrusted host fails them and gets no traffic', async () => {
    await waitFor(
      async () =>
        (await adminGet(hcProxy, '/clusters')).body.includes(`svc::127.0.0.1:${good}::health_flags::healthy`),
      'good host healthy',
    );
    expect((await adminGet(hcProxy, '/clusters')).body).toContain(
      `svc::127.0.0.1:${untrusted}::health_flags::/failed_active_hc`,
    );
    // The check reached the good server over TLS (it only speaks TLS) and never completed a request on
    // the untrusted one (the handshake failed before any HTTP).
    expect(healthHits.good).toBeGreaterThan(0);
    expect(healthHits.untrusted).toBe(0);
    const port = hcProxy.listenerPort('http')!;
    for (let i = 0; i < 6; i++) expect((await request(port, { path: '/x' })).body).toBe('good api.test');
    expect((await adminGet(hcProxy, '/stats')).body).toMatch(/cluster\.svc\.ssl\.fail_verify_error: [1-9]/);
  });

  it('handshake failures are connect failures for outlier detection: the untrusted host is ejected', async () => {
    const port = odProxy.listenerPort('http')!;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await request(port, { path: '/y' })).status);
    expect(statuses).toContain(503);
    expect((await adminGet(odProxy, '/clusters')).body).toContain(
      `svc::127.0.0.1:${untrusted}::health_flags::/failed_outlier_check`,
    );
    // Once ejected, every request goes to the good host.
    for (let i = 0; i < 6; i++) expect((await request(port, { path: '/z' })).status).toBe(200);
    const stats = (await adminGet(odProxy, '/stats')).body;
    expect(stats).toMatch(/cluster\.svc\.upstream_cx_connect_fail: [1-9]/);
    expect(stats).toMatch(/cluster\.svc\.outlier_detection\.ejections_enforced_total: [1-9]/);
  });
});
