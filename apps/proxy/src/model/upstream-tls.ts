// Cluster transport_socket (UpstreamTlsContext) -> UpstreamTlsModel. Unlike the rest of model/, this
// reads files: the certificate, key and CA DataSources are read (and checked by building a secure
// context) when the cluster is translated, so a missing or unusable file is a NACK naming the field and
// the file, as Envoy rejects such a cluster, and the cluster's previous version stays in use. Every new
// version of the cluster reads them again; the contents are part of the model, so a changed file makes
// the cluster "changed" and its connection pools are replaced.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { envoy } from '@strait/xds';
import { unpackAny } from '../config/any.js';
import type { IssueList } from '../errors.js';
import { type StringMatch, translateStringMatcher } from './common.js';

type UpstreamTlsContext = envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
type DataSource = envoy.config.core.v3.DataSource.$Properties;
type TransportSocket = envoy.config.core.v3.TransportSocket.$Properties;

const UPSTREAM_TLS_CONTEXT = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** SAN types of a typed matcher; ANY is the deprecated untyped match_subject_alt_names. */
export type SanKind = 'DNS' | 'URI' | 'IP_ADDRESS' | 'EMAIL' | 'ANY';
const SAN_KINDS: Record<number, SanKind | undefined> = { 1: 'EMAIL', 2: 'DNS', 3: 'URI', 4: 'IP_ADDRESS' };

export interface SanMatchModel {
  kind: SanKind;
  match: StringMatch;
}

export interface UpstreamTlsModel {
  /** `sni`; '' sends none (unless auto SNI picks one per request). */
  sni: string;
  alpn: string[];
  /**
   * How the server certificate is verified: `none` without a validation context (Envoy: not
   * verified), `ca` against trusted_ca, `system` against the system trust store (system_root_certs).
   */
  verify: 'none' | 'ca' | 'system';
  /** PEM contents (read from the DataSources). */
  ca?: string;
  cert?: string;
  key?: string;
  /** Any one must match a SAN of the server certificate; empty = no SAN check. */
  sans: SanMatchModel[];
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  ciphers?: string;
  ecdhCurve?: string;
  /** HttpProtocolOptions.upstream_http_protocol_options (HTTP only): SNI from each request's host. */
  autoSni: boolean;
  /** ... and the server certificate must match that host. */
  autoSanValidation: boolean;
  /** Header the auto SNI comes from instead of the host (override_auto_sni_header). */
  autoSniHeader: string;
}

const VERSIONS: Record<number, tls.SecureVersion | undefined> = {
  1: 'TLSv1',
  2: 'TLSv1.1',
  3: 'TLSv1.2',
  4: 'TLSv1.3',
};

/** True when a decoded protobuf field holds something other than its default. */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

function refuseSet(
  obj: object | null | undefined,
  fields: Record<string, string>,
  base: string,
  issues: IssueList,
) {
  if (!obj) return;
  for (const [camel, snake] of Object.entries(fields)) {
    if (isSet((obj as Record<string, unknown>)[camel]))
      issues.add('PROXY_ERR_UNSUPPORTED', `${base}.${snake}`, `${snake} is not supported for upstream TLS`);
  }
}

/** A DataSource's text; reports an unreadable file (naming it) or an empty source at `path`. */
function readSource(ds: DataSource | null | undefined, path: string, issues: IssueList): string | undefined {
  if (!ds) return undefined;
  if (ds.filename) {
    try {
      const text = readFileSync(ds.filename, 'utf8');
      if (text.trim() === '')
        issues.add('PROXY_ERR_TLS_FILE', `${path}.filename`, `"${ds.filename}" is empty`);
      return text;
    } catch (err) {
      issues.add(
        'PROXY_ERR_TLS_FILE',
        `${path}.filename`,
        `cannot read "${ds.filename}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
      return undefined;
    }
  }
  if (ds.inlineString) return ds.inlineString;
  if (ds.inlineBytes && ds.inlineBytes.length > 0) return Buffer.from(ds.inlineBytes).toString('utf8');
  if (ds.environmentVariable) {
    const v = process.env[ds.environmentVariable];
    if (v === undefined || v === '')
      issues.add(
        'PROXY_ERR_TLS_FILE',
        `${path}.environment_variable`,
        `environment variable "${ds.environmentVariable}" is not set`,
      );
    return v;
  }
  issues.add(
    'PROXY_ERR_MISSING_FIELD',
    path,
    'a filename, inline_string, inline_bytes or environment_variable is required',
  );
  return undefined;
}

function describeSource(ds: DataSource | null | undefined): string {
  return ds?.filename ? `"${ds.filename}"` : 'the inline data';
}

/** Builds a secure context from `opts` to prove the PEM data is usable; reports why not at `path`. */
function checkUsable(opts: tls.SecureContextOptions, path: string, what: string, issues: IssueList): void {
  try {
    tls.createSecureContext(opts);
  } catch (err) {
    issues.add('PROXY_ERR_TLS_FILE', path, `${what} is not usable: ${(err as Error).message}`);
  }
}

export function translateTransportSocket(
  ts: TransportSocket,
  issues: IssueList,
  path = 'transport_socket',
): UpstreamTlsModel | undefined {
  const ctx = unpackAny<UpstreamTlsContext>(
    ts.typedConfig,
    [UPSTREAM_TLS_CONTEXT],
    issues,
    `${path}.typed_config`,
  );
  if (!ctx) return undefined;
  const p = `${path}.typed_config`;
  refuseSet(ctx, { allowRenegotiation: 'allow_renegotiation' }, p, issues);
  const common = ctx.commonTlsContext;
  const cp = `${p}.common_tls_context`;
  refuseSet(
    common,
    {
      tlsCertificateSdsSecretConfigs: 'tls_certificate_sds_secret_configs',
      tlsCertificateProviderInstance: 'tls_certificate_provider_instance',
      tlsCertificateCertificateProvider: 'tls_certificate_certificate_provider',
      tlsCertificateCertificateProviderInstance: 'tls_certificate_certificate_provider_instance',
      validationContextSdsSecretConfig: 'validation_context_sds_secret_config',
      combinedValidationContext: 'combined_validation_context',
      validationContextCertificateProvider: 'validation_context_certificate_provider',
      validationContextCertificateProviderInstance: 'validation_context_certificate_provider_instance',
      customHandshaker: 'custom_handshaker',
      keyLog: 'key_log',
    },
    cp,
    issues,
  );
  const model: UpstreamTlsModel = {
    sni: ctx.sni ?? '',
    alpn: [...(common?.alpnProtocols ?? [])],
    verify: 'none',
    sans: [],
    // Envoy's client defaults: TLS 1.2 only. (With TLS 1.3 a server refusing the client certificate
    // would only be seen after the handshake, as a reset rather than a connect failure.)
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    autoSni: false,
    autoSanValidation: false,
    autoSniHeader: '',
  };
  const params = common?.tlsParams;
  if (params) {
    const pp = `${cp}.tls_params`;
    refuseSet(params, { signatureAlgorithms: 'signature_algorithms' }, pp, issues);
    // Envoy's client defaults are 1.2..1.2; a minimum above that lifts the default maximum with it.
    const min = Number(params.tlsMinimumProtocolVersion ?? 0) || 3;
    const max = Number(params.tlsMaximumProtocolVersion ?? 0) || Math.max(3, min);
    model.minVersion = VERSIONS[min] ?? model.minVersion;
    model.maxVersion = VERSIONS[max] ?? model.maxVersion;
    if (min > max)
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${pp}.tls_minimum_protocol_version`,
        `${model.minVersion} is above tls_maximum_protocol_version ${model.maxVersion}`,
      );
    if (params.cipherSuites?.length) model.ciphers = params.cipherSuites.join(':');
    if (params.ecdhCurves?.length) model.ecdhCurve = params.ecdhCurves.join(':');
  }

  const certs = common?.tlsCertificates ?? [];
  if (certs.length > 1)
    issues.add('PROXY_ERR_UNSUPPORTED', `${cp}.tls_certificates`, 'only one client certificate is supported');
  const c = certs[0];
  if (c) {
    const tp = `${cp}.tls_certificates[0]`;
    refuseSet(
      c,
      {
        pkcs12: 'pkcs12',
        watchedDirectory: 'watched_directory',
        privateKeyProvider: 'private_key_provider',
        password: 'password',
        ocspStaple: 'ocsp_staple',
        signedCertificateTimestamp: 'signed_certificate_timestamp',
      },
      tp,
      issues,
    );
    if (!c.certificateChain) issues.add('PROXY_ERR_MISSING_FIELD', `${tp}.certificate_chain`, 'is required');
    if (!c.privateKey) issues.add('PROXY_ERR_MISSING_FIELD', `${tp}.private_key`, 'is required');
    const before = issues.items.length;
    model.cert = readSource(c.certificateChain, `${tp}.certificate_chain`, issues);
    model.key = readSource(c.privateKey, `${tp}.private_key`, issues);
    if (issues.items.length === before && model.cert && model.key)
      checkUsable(
        { cert: model.cert, key: model.key },
        tp,
        `the certificate ${describeSource(c.certificateChain)} with the key ${describeSource(c.privateKey)}`,
        issues,
      );
  }

  const v = common?.validationContext;
  if (v) {
    const vp = `${cp}.validation_context`;
    refuseSet(
      v,
      {
        caCertificateProviderInstance: 'ca_certificate_provider_instance',
        watchedDirectory: 'watched_directory',
        verifyCertificateSpki: 'verify_certificate_spki',
        verifyCertificateHash: 'verify_certificate_hash',
        requireSignedCertificateTimestamp: 'require_signed_certificate_timestamp',
        crl: 'crl',
        allowExpiredCertificate: 'allow_expired_certificate',
        trustChainVerification: 'trust_chain_verification',
        customValidatorConfig: 'custom_validator_config',
        onlyVerifyLeafCertCrl: 'only_verify_leaf_cert_crl',
        maxVerifyDepth: 'max_verify_depth',
      },
      vp,
      issues,
    );
    if (v.trustedCa) {
      const before = issues.items.length;
      model.ca = readSource(v.trustedCa, `${vp}.trusted_ca`, issues);
      model.verify = 'ca';
      if (issues.items.length === before && model.ca)
        checkUsable(
          { ca: model.ca },
          `${vp}.trusted_ca`,
          `the CA bundle ${describeSource(v.trustedCa)}`,
          issues,
        );
    } else if (v.systemRootCerts) model.verify = 'system';
    (v.matchTypedSubjectAltNames ?? []).forEach((m, i) => {
      const mp = `${vp}.match_typed_subject_alt_names[${i}]`;
      const kind = SAN_KINDS[Number(m.sanType ?? 0)];
      if (!kind) {
        issues.add(
          'PROXY_ERR_UNSUPPORTED',
          `${mp}.san_type`,
          `SAN type ${m.sanType} is not supported (DNS, URI, IP_ADDRESS, EMAIL)`,
        );
        return;
      }
      const match = translateStringMatcher(m.matcher, issues, `${mp}.matcher`);
      if (match) model.sans.push({ kind, match });
    });
    (v.matchSubjectAltNames ?? []).forEach((m, i) => {
      const match = translateStringMatcher(m, issues, `${vp}.match_subject_alt_names[${i}]`);
      if (match) model.sans.push({ kind: 'ANY', match });
    });
    // Envoy refuses SAN checks without a trust anchor: they would prove nothing.
    if (model.sans.length > 0 && model.verify === 'none')
      issues.add('PROXY_ERR_INVALID_VALUE', vp, 'SAN matching needs trusted_ca or system_root_certs');
  }
  return model;
}
