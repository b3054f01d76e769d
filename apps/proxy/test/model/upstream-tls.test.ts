// Cluster transport_socket translation: what is read, what is refused and how each problem is named.
import { rmSync } from 'node:fs';
import { envoy, pack, type UpstreamTlsContext, UpstreamTlsContextCodec } from '@strait/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translateCluster } from '../../src/model/cluster.js';
import { certificateSans, checkIdentity } from '../../src/upstream/transport.js';
import { CertDir } from '../helpers/certs.js';

const certs = new CertDir();
beforeAll(() => {
  certs
    .selfSigned('ca')
    .leaf('client', 'ca', 'DNS:client.test', 'clientAuth')
    .leaf('other', 'ca', 'DNS:other.test');
});
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

function cluster(ctx: UpstreamTlsContext, extra: Partial<envoy.config.cluster.v3.Cluster.$Properties> = {}) {
  return translateCluster({
    name: 'c',
    type: envoy.config.cluster.v3.Cluster.DiscoveryType.STATIC,
    transportSocket: { name: 'envoy.transport_sockets.tls', typedConfig: pack(UpstreamTlsContextCodec, ctx) },
    ...extra,
  });
}

const issues = (t: ReturnType<typeof cluster>) =>
  t.ok ? [] : t.issues.map((i) => `${i.code} ${i.path}: ${i.message}`);

describe('transport_socket translation', () => {
  it('reads the CA and the client certificate pair', () => {
    const t = cluster({
      sni: 'a.test',
      commonTlsContext: {
        tlsCertificates: [
          {
            certificateChain: { filename: certs.path('client.crt') },
            privateKey: { filename: certs.path('client.key') },
          },
        ],
        validationContext: {
          trustedCa: { filename: certs.path('ca.crt') },
          matchTypedSubjectAltNames: [{ sanType: 2, matcher: { exact: 'a.test' } }],
        },
        alpnProtocols: ['h2'],
      },
    });
    expect(issues(t)).toEqual([]);
    if (!t.ok) return;
    expect(t.value.tls).toMatchObject({ sni: 'a.test', verify: 'ca', alpn: ['h2'], maxVersion: 'TLSv1.2' });
    expect(t.value.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(t.value.tls?.key).toContain('PRIVATE KEY');
  });

  it('names the field and the file it cannot read', () => {
    const t = cluster({
      commonTlsContext: { validationContext: { trustedCa: { filename: '/nope/ca.pem' } } },
    });
    expect(issues(t)).toEqual([
      'PROXY_ERR_TLS_FILE transport_socket.typed_config.common_tls_context.validation_context.trusted_ca.filename: cannot read "/nope/ca.pem": ENOENT',
    ]);
  });

  it('refuses a key that does not belong to its certificate', () => {
    const t = cluster({
      commonTlsContext: {
        tlsCertificates: [
          {
            certificateChain: { filename: certs.path('client.crt') },
            privateKey: { filename: certs.path('other.key') },
          },
        ],
      },
    });
    expect(issues(t)).toHaveLength(1);
    expect(issues(t)[0]).toMatch(
      /^PROXY_ERR_TLS_FILE transport_socket\.typed_config\.common_tls_context\.tls_certificates\[0\]: the certificate ".*client\.crt" with the key ".*other\.key" is not usable/,
    );
  });

  it('refuses what it does not implement, and SAN checks without a trust anchor', () => {
    const t = cluster({
      commonTlsContext: {
        tlsCertificateSdsSecretConfigs: [{ name: 'default' }],
        validationContext: {
          matchTypedSubjectAltNames: [{ sanType: 2, matcher: { exact: 'a' } }],
          crl: { filename: '/x' },
        },
      },
    });
    expect(issues(t).map((i) => i.split(':')[0])).toEqual([
      'PROXY_ERR_UNSUPPORTED transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs',
      'PROXY_ERR_UNSUPPORTED transport_socket.typed_config.common_tls_context.validation_context.crl',
      'PROXY_ERR_INVALID_VALUE transport_socket.typed_config.common_tls_context.validation_context',
    ]);
  });

  it('refuses transport_socket_matches and a typed_config that is not an UpstreamTlsContext', () => {
    const t = translateCluster({
      name: 'c',
      transportSocket: {
        name: 'x',
        typedConfig: { type_url: 'type.googleapis.com/google.protobuf.Empty', value: new Uint8Array() },
      },
      transportSocketMatches: [{ name: 'm' }],
    });
    expect(issues(t).map((i) => i.split(':')[0])).toEqual([
      'PROXY_ERR_UNKNOWN_TYPE_URL transport_socket.typed_config',
      'PROXY_ERR_UNSUPPORTED transport_socket_matches',
    ]);
  });
});

describe('server identity', () => {
  const sans = 'DNS:*.wild.test, IP Address:127.0.0.1, URI:spiffe://td/ns/a/sa/b, email:ops@test';
  const cert = { subjectaltname: sans } as unknown as import('node:tls').PeerCertificate;
  const model = (kind: 'DNS' | 'URI' | 'IP_ADDRESS' | 'ANY', value: string) =>
    ({
      sans: [{ kind, match: { kind: 'exact', value, ignoreCase: false } }],
      autoSanValidation: false,
    }) as never;

  it('parses Node subjectaltname text', () => {
    expect(certificateSans(sans)).toEqual([
      { kind: 'DNS', value: '*.wild.test' },
      { kind: 'IP_ADDRESS', value: '127.0.0.1' },
      { kind: 'URI', value: 'spiffe://td/ns/a/sa/b' },
      { kind: 'EMAIL', value: 'ops@test' },
    ]);
  });

  it('matches by type, with one-label DNS wildcards', () => {
    expect(checkIdentity(model('DNS', 'a.wild.test'), undefined, cert)).toBeUndefined();
    expect(checkIdentity(model('DNS', 'a.b.wild.test'), undefined, cert)).toBeInstanceOf(Error);
    expect(checkIdentity(model('URI', 'spiffe://td/ns/a/sa/b'), undefined, cert)).toBeUndefined();
    // Right value, wrong type: a URI matcher does not match the IP SAN.
    expect(checkIdentity(model('URI', '127.0.0.1'), undefined, cert)).toBeInstanceOf(Error);
    expect(checkIdentity(model('ANY', '127.0.0.1'), undefined, cert)).toBeUndefined();
  });
});
