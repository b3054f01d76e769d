// DestinationRule `tls` (ClientTLSSettings) -> the cluster's `envoy.transport_sockets.tls` transport
// socket, with Istio's semantics for SIMPLE and MUTUAL. Istio hands the certificate files to Envoy over
// SDS (its agent reads them); Strait has no SDS, so the UpstreamTlsContext names the files directly and
// the proxy reads them when it applies the cluster. Pure.
import { isIP } from 'node:net';
import type { ClientTLSSettings, TrafficPolicy } from '@strait/config';
import { envoy, pack, UpstreamTlsContextCodec } from '@strait/xds';

export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';

type UpstreamTlsContext = envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.$Properties;
type SanMatcher = envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.$Properties;
type TransportSocket = envoy.config.core.v3.TransportSocket.$Properties;
const SanType = envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType;

export interface UpstreamTls {
  context: UpstreamTlsContext;
  transportSocket: TransportSocket;
  /**
   * Istio sets Envoy's `auto_sni` when the rule names no `sni` (the SNI is then each request's host),
   * and `auto_san_validation` when it also names no SANs and verifies (the server certificate must
   * then match that host). Both live in HttpProtocolOptions, so they only matter for HTTP clusters.
   */
  autoSni: boolean;
  autoSanValidation: boolean;
}

/**
 * The SAN type of one `subjectAltNames` entry. Istio emits Envoy's untyped (deprecated)
 * `match_subject_alt_names`; the typed form needs a type, which follows from the value's shape.
 */
export function sanMatcher(san: string): SanMatcher {
  const sanType = isIP(san)
    ? SanType.IP_ADDRESS
    : /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(san)
      ? SanType.URI
      : san.includes('@')
        ? SanType.EMAIL
        : SanType.DNS;
  return { sanType, matcher: { exact: san } };
}

/**
 * The upstream TLS of a cluster, or undefined for plaintext: no settings, DISABLE, and ISTIO_MUTUAL
 * (mesh mTLS needs a CA and SDS that Strait does not have; validation warned, and the pilot's
 * notApplied report lists it for the log and /debug/configz).
 */
export function upstreamTls(
  tls: ClientTLSSettings | undefined,
  http2: boolean,
  serviceSans: readonly string[] = [],
): UpstreamTls | undefined {
  if (!tls || (tls.mode !== 'SIMPLE' && tls.mode !== 'MUTUAL')) return undefined;
  const common: envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.$Properties = {};
  if (tls.mode === 'MUTUAL' && tls.clientCertificate && tls.privateKey) {
    common.tlsCertificates = [
      {
        certificateChain: { filename: tls.clientCertificate },
        privateKey: { filename: tls.privateKey },
      },
    ];
  }
  const verify = tls.insecureSkipVerify !== true;
  const ownSans = tls.subjectAltNames ?? [];
  // Istio: a rule without SANs verifies against the ServiceEntry's subjectAltNames (auto SAN
  // validation is still decided by the rule's own SANs, as Istio decides it before the fallback).
  const sans = ownSans.length > 0 ? ownSans : serviceSans;
  if (verify) {
    // Istio verifies against the system trust store when no caCertificates are given.
    common.validationContext = {
      ...(tls.caCertificates ? { trustedCa: { filename: tls.caCertificates } } : { systemRootCerts: {} }),
      ...(sans.length > 0 ? { matchTypedSubjectAltNames: sans.map(sanMatcher) } : {}),
    };
  }
  // Istio advertises h2 only for HTTP/2 clusters; HTTP/1.1 and TCP upstreams get no ALPN.
  if (http2) common.alpnProtocols = ['h2'];
  const context: UpstreamTlsContext = { commonTlsContext: common };
  if (tls.sni) context.sni = tls.sni;
  const autoSni = !tls.sni;
  return {
    context,
    transportSocket: { name: TLS_TRANSPORT_SOCKET, typedConfig: pack(UpstreamTlsContextCodec, context) },
    autoSni,
    autoSanValidation: autoSni && ownSans.length === 0 && verify,
  };
}

/** Why an ISTIO_MUTUAL setting is not applied (for the pilot's notApplied report). */
export const ISTIO_MUTUAL_NOT_APPLIED =
  'tls.mode ISTIO_MUTUAL needs a mesh CA and SDS, which Strait does not have: the cluster is sent plaintext';

/** Field paths of every ISTIO_MUTUAL `tls` in a traffic policy and its port-level settings. */
export function istioMutualPaths(policy: TrafficPolicy | undefined, path: string): string[] {
  if (!policy) return [];
  const out: string[] = [];
  if (policy.tls?.mode === 'ISTIO_MUTUAL') out.push(`${path}.tls.mode`);
  policy.portLevelSettings?.forEach((p, i) => {
    if (p.tls?.mode === 'ISTIO_MUTUAL') out.push(`${path}.portLevelSettings[${i}].tls.mode`);
  });
  return out;
}
