// Opening a connection to an upstream host with the cluster's transport: plain TCP, or TLS origination
// (UpstreamTlsContext) with the SNI, ALPN, client certificate and server verification it configures.
// Every protocol (HTTP/1.1 pools, HTTP/2 sessions, tcp_proxy, upgrades, Dubbo, health checks) connects
// through here, so TLS means the same thing everywhere and is counted once, in Envoy's cluster
// `ssl.*` stats. The connection is "connected" when `readyEvent` fires: for TLS, after the handshake
// (as in Envoy, whose connect timeout and connect-failure accounting cover the handshake too).

// Opening a connection to an upstream host with the cluster's transport: plain TCP, or TLS origination
// (UpstreamTlsContext) with the SNI, ALPN, client certificate and server verification it configures.
// Every protocol (HTTP/1.1 pools, HTTP/2 sessions, tcp_proxy, upgrades, Dubbo, health checks) connects
// through here, so TLS means the same thing everywhere and is counted once, in Envoy's cluster
// `ssl.*` stats. The connection is "connected" when `readyEvent` fires: for TLS, after the handshake
// (as in Envoy, whose connect timeout and connect-failure accounting cover the handshake too).
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import { matchString } from '../model/common.js';
import type { SanKind, UpstreamTlsModel } from '../model/upstream-tls.js';
import type { ClusterStats } from './cluster.js';

export interface UpstreamConnectOptions {
  host: string;
  port: number;
  tls?: UpstreamTlsModel | undefined;
  /** SNI for this connection when it differs from the configured one (auto SNI). */
  servername?: string | undefined;
  /** ALPN protocols when the caller needs others than the context's (HTTP/2 needs h2). */
  alpn?: readonly string[] | undefined;
  /** The cluster's stats, for the ssl.* counters; optional for health checks without a scope. */
  stats?: Pick<ClusterStats, SslStat> | undefined;
}

export type SslStat =
  | 'ssl.handshake'
  | 'ssl.connection_error'
  | 'ssl.fail_verify_error'
  | 'ssl.fail_verify_san';

export interface UpstreamConnection {
  socket: net.Socket;
  readyEvent: 'connect' | 'secureConnect';
}

// Secure contexts are built once per TLS model (one per cluster version), not per connection.
const contexts = new WeakMap<UpstreamTlsModel, tls.SecureContext>();

function secureContext(m: UpstreamTlsModel): tls.SecureContext {
  let c = contexts.get(m);
  if (!c) {
    c = tls.createSecureContext({
      // No `ca`: Node's bundled roots, i.e. system_root_certs; with verify 'none' nothing is checked.
      ...(m.verify === 'ca' && m.ca ? { ca: m.ca } : {}),
      ...(m.cert && m.key ? { cert: m.cert, key: m.key } : {}),
      minVersion: m.minVersion,
      maxVersion: m.maxVersion,
      ...(m.ciphers ? { ciphers: m.ciphers } : {}),
      ...(m.ecdhCurve ? { ecdhCurve: m.ecdhCurve } : {}),
    });
    contexts.set(m, c);
  }
  return c;
}

const SAN_PREFIX: Record<string, SanKind> = {
  DNS: 'DNS',
  URI: 'URI',
  'IP Address': 'IP_ADDRESS',
  email: 'EMAIL',
};

/** The SANs of a peer certificate, from Node's `subjectaltname` text (`DNS:a, IP Address:1.2.3.4`). */
export function certificateSans(text: string | undefined): { kind: SanKind; value: string }[] {
  const out: { kind: SanKind; value: string }[] = [];
  // Values containing a comma or quote are JSON-quoted by Node.
  const re = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g;
  for (const m of (text ?? '').matchAll(re)) {
    const kind = SAN_PREFIX[m[1]!.trim()];
    if (!kind) continue;
    const raw = m[2]!;
    out.push({ kind, value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw });
  }
  return out;
}

/** Envoy's DNS SAN rule for exact matchers: a `*.example.com` certificate name covers one label. */
function dnsWildcardMatches(certName: string, wanted: string): boolean {
  if (!certName.startsWith('*.')) return false;
  const dot = wanted.indexOf('.');
  return dot > 0 && wanted.slice(dot).toLowerCase() === certName.slice(1).toLowerCase();
}

function identityError(message: string): Error {
  // Node's own code for a name mismatch, so callers classify both sources the same way.
  return Object.assign(new Error(message), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
}

/** The server identity check a TLS model asks for (undefined = accepted). */
export function checkIdentity(
  m: UpstreamTlsModel,
  servername: string | undefined,
  cert: tls.PeerCertificate,
): Error | undefined {
  if (m.sans.length > 0) {
    const sans = certificateSans(cert.subjectaltname);
    for (const want of m.sans) {
      for (const san of sans) {
        if (want.kind !== 'ANY' && want.kind !== san.kind) continue;
        if (matchString(want.match, san.value)) return undefined;
        if (
          san.kind === 'DNS' &&
          want.match.kind === 'exact' &&
          dnsWildcardMatches(san.value, want.match.value)
        )
          return undefined;
      }
    }
    return identityError(
      `server certificate SANs [${sans.map((s) => `${s.kind}:${s.value}`).join(', ')}] match none of the configured subject alt names`,
    );
  }
  if (m.autoSanValidation && servername) return tls.checkServerIdentity(servername, cert);
  // Envoy without SAN matchers checks the chain only, never the host name.
  return undefined;
}

// OpenSSL chain verification results (X509_V_ERR_* names) as Node reports them in `err.code`.
const VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_PURPOSE',
]);

/** Which Envoy ssl.* counter a TLS failure before the handshake completed belongs to. */
export function sslFailureStat(err: Error): SslStat {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'ssl.fail_verify_san';
  if (VERIFY_CODES.has(code)) return 'ssl.fail_verify_error';
  return 'ssl.connection_error';
}

/** The SNI to send: an explicit per-connection name, else the configured one; never an IP (RFC 6066). */
function sniFor(o: UpstreamConnectOptions): string | undefined {
  const name = o.servername || o.tls?.sni || '';
  return name && isIP(name) === 0 ? name : undefined;
}

export function tlsConnectOptions(
  o: UpstreamConnectOptions & { tls: UpstreamTlsModel },
): tls.ConnectionOptions {
  const m = o.tls;
  const servername = sniFor(o);
  return {
    host: o.host,
    port: o.port,
    secureContext: secureContext(m),
    // An undefined servername would make Node default it to `host`; '' sends no SNI at all.
    servername: servername ?? '',
    ...((o.alpn ?? m.alpn).length > 0 ? { ALPNProtocols: [...(o.alpn ?? m.alpn)] } : {}),
    rejectUnauthorized: m.verify !== 'none',
    checkServerIdentity: (_host, cert) => checkIdentity(m, servername, cert),
  };
}

/** Connects to an upstream host, originating TLS when the cluster says so. */
export function connectUpstream(o: UpstreamConnectOptions): UpstreamConnection {
  if (!o.tls) {
    const socket = net.connect({ host: o.host, port: o.port, noDelay: true });
    return { socket, readyEvent: 'connect' };
  }
  const socket = tls.connect(tlsConnectOptions({ ...o, tls: o.tls }));
  socket.setNoDelay(true);
  watchHandshake(socket, o.stats);
  return { socket, readyEvent: 'secureConnect' };
}

/** Counts the handshake's outcome in the cluster's ssl.* stats (only failures after TCP connected). */
export function watchHandshake(socket: tls.TLSSocket, stats: UpstreamConnectOptions['stats']): void {
  if (!stats) return;
  let tcpUp = false;
  let secured = false;
  socket.once('connect', () => {
    tcpUp = true;
  });
  socket.once('secureConnect', () => {
    secured = true;
    stats['ssl.handshake'].inc();
  });
  socket.on('error', (err) => {
    if (tcpUp && !secured) {
      secured = true; // count one failure per connection
      stats[sslFailureStat(err)].inc();
    }
  });
}
