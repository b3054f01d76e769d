// Authentication of ADS streams on the TLS listener (Istio's 15012): a client certificate verified
// against --tls-client-ca, or an `authorization: Bearer <token>` metadata matching one of the accepted
// tokens (--xds-token-file). Istio's Kubernetes JWT (TokenReview) is not implemented: tokens are opaque
// shared secrets. The TLS listener asks for a client certificate but does not require one at the
// handshake, so a client without one (or with one from another CA) gets a gRPC status
// (UNAUTHENTICATED, with the reason) instead of a TLS alert, and is counted.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { PilotError } from '../errors.js';

export interface XdsAuthPolicy {
  /** A client CA was given: a verified client certificate authenticates the stream. */
  readonly clientCertificates: boolean;
  /** Accepted bearer tokens (empty: token authentication is off). */
  readonly tokens: readonly string[];
}

export type AuthResult =
  | { readonly ok: true; readonly method: 'certificate' | 'token'; readonly identity: string }
  | {
      readonly ok: false;
      readonly reason: 'no_credentials' | 'untrusted_certificate' | 'bad_token';
      readonly message: string;
    };

type PeerCertificate = {
  subject?: Record<string, string | string[]>;
  subjectaltname?: string;
  fingerprint256?: string;
};

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The identity a certificate names: its URI/DNS SANs (SPIFFE IDs first), else its subject CN. */
export function certificateIdentity(cert: PeerCertificate): string {
  const sans = (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const uris = sans.filter((s) => s.startsWith('URI:'));
  const chosen = uris.length > 0 ? uris : sans;
  if (chosen.length > 0) return chosen.join(',');
  const cn = cert.subject?.['CN'];
  return `CN=${Array.isArray(cn) ? cn.join(',') : (cn ?? '')}`;
}

export class XdsAuthenticator {
  private readonly tokenDigests: Buffer[];

  constructor(readonly policy: XdsAuthPolicy) {
    // Compared as SHA-256 digests: equal lengths for timingSafeEqual, and no early exit on length.
    this.tokenDigests = policy.tokens.map(digest);
  }

  authenticate(call: grpc.ServerDuplexStream<unknown, unknown>): AuthResult {
    let sawCertificate = false;
    if (this.policy.clientCertificates) {
      // grpc-js reports the peer certificate only when the TLS socket verified it against the CA.
      const cert = call.getAuthContext?.()?.sslPeerCertificate as PeerCertificate | undefined;
      if (cert) return { ok: true, method: 'certificate', identity: certificateIdentity(cert) };
      sawCertificate = hasUnverifiedCertificate(call);
    }
    const presented = bearerTokens(call.metadata);
    if (this.tokenDigests.length > 0 && presented.length > 0) {
      for (const token of presented) {
        const d = digest(token);
        let index = -1;
        // Every accepted token is compared (no early exit), each in constant time.
        this.tokenDigests.forEach((t, i) => {
          if (timingSafeEqual(t, d) && index < 0) index = i;
        });
        if (index >= 0) {
          return { ok: true, method: 'token', identity: `token sha256:${d.toString('hex').slice(0, 12)}` };
        }
      }
    }
    const accepted = [
      this.policy.clientCertificates ? 'a client certificate signed by the --tls-client-ca CA' : '',
      this.tokenDigests.length > 0
        ? "an 'authorization: Bearer <token>' metadata with an accepted token"
        : '',
    ]
      .filter(Boolean)
      .join(' or ');
    if (this.tokenDigests.length > 0 && presented.length > 0) {
      return {
        ok: false,
        reason: 'bad_token',
        message: `xDS authentication failed: bearer token not accepted (needs ${accepted})`,
      };
    }
    if (sawCertificate) {
      return {
        ok: false,
        reason: 'untrusted_certificate',
        message: `xDS authentication failed: client certificate not verified by the client CA (needs ${accepted})`,
      };
    }
    return {
      ok: false,
      reason: 'no_credentials',
      message: `xDS authentication failed: no credentials (needs ${accepted})`,
    };
  }
}

function bearerTokens(md: grpc.Metadata): string[] {
  const out: string[] = [];
  for (const v of md.get('authorization')) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(String(v));
    if (m) out.push(m[1]!);
  }
  return out;
}

/** Whether the client sent a certificate that did not verify (for the message only). */
function hasUnverifiedCertificate(call: grpc.ServerDuplexStream<unknown, unknown>): boolean {
  // grpc-js internals: the surface call holds an intercepting call chain (`nextCall`) ending at the
  // one that owns the http2 stream. Best effort: without it the reason is reported as no_credentials.
  type Inner = {
    nextCall?: Inner;
    stream?: { session?: { socket?: { getPeerCertificate?: () => { raw?: Buffer } } } };
  };
  let inner = (call as unknown as { call?: Inner }).call;
  for (let i = 0; inner && !inner.stream && i < 8; i++) inner = inner.nextCall;
  try {
    return Boolean(inner?.stream?.session?.socket?.getPeerCertificate?.()?.raw);
  } catch {
    return false;
  }
}

/** Reads accepted tokens: a file (one per line, `#` comments) or a directory (one token per file). */
export function parseTokenFile(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Server credentials of the TLS listener. With a client CA, a client certificate is requested and
 * verified, but not required at the handshake (tokens may authenticate instead, and a stream without
 * credentials gets UNAUTHENTICATED rather than a TLS alert): grpc-js's certificate-provider
 * credentials with requireClientCertificate=false, fed from memory.
 */
export function tlsServerCredentials(tls: {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa?: Buffer;
}): grpc.ServerCredentials {
  try {
    // Fail early, naming the problem, rather than on the first handshake.
    createSecureContext({ cert: tls.cert, key: tls.key, ...(tls.clientCa ? { ca: tls.clientCa } : {}) });
  } catch (err) {
    throw new PilotError(
      'PILOT_ERR_TLS',
      `certificate, key or client CA unusable: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  // Listeners are called on a microtask: grpc-js adds its own watcher only after subscribing to the
  // providers, and a synchronous update would be lost (the listener would then drop every connection).
  const provider = (update: object): grpc.experimental.CertificateProvider => ({
    addCaCertificateListener: (l) => queueMicrotask(() => l(update as grpc.experimental.CaCertificateUpdate)),
    removeCaCertificateListener: () => {},
    addIdentityCertificateListener: (l) =>
      queueMicrotask(() => l(update as grpc.experimental.IdentityCertificateUpdate)),
    removeIdentityCertificateListener: () => {},
  });
  const identity = provider({ certificate: tls.cert, privateKey: tls.key });
  const ca = tls.clientCa ? provider({ caCertificate: tls.clientCa }) : null;
  // grpc-js 1.14 declares the first parameter as the CA provider, but passes it on as the identity one.
  return grpc.experimental.createCertificateProviderServerCredentials(identity, ca, false);
}

/** Reads the files named by the TLS flags (`--tls-cert`, `--tls-key`, `--tls-client-ca`, `--xds-token-file`). */
export async function loadXdsTls(flags: {
  readonly address: { readonly host: string; readonly port: number };
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string | undefined;
  readonly tokenFile: string | undefined;
}): Promise<{
  address: { host: string; port: number };
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
  tokens?: string[];
}> {
  const read = async (flag: string, file: string) => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new PilotError('PILOT_ERR_TLS', `--${flag} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  const cert = await read('tls-cert', flags.certFile);
  const key = await read('tls-key', flags.keyFile);
  const clientCa = flags.clientCaFile ? await read('tls-client-ca', flags.clientCaFile) : undefined;
  let tokens: string[] | undefined;
  if (flags.tokenFile) {
    const file = flags.tokenFile;
    const isDir = await stat(file).then(
      (s) => s.isDirectory(),
      (err: Error) => {
        throw new PilotError('PILOT_ERR_TLS', `--xds-token-file ${file}: ${err.message}`, { cause: err });
      },
    );
    // A directory is read like a mounted Secret: one token per file; dot entries (..data) are skipped.
    const files = isDir
      ? (await readdir(file)).filter((n) => !n.startsWith('.')).map((n) => join(file, n))
      : [file];
    tokens = [];
    for (const f of files) {
      if (isDir && !(await stat(f)).isFile()) continue;
      tokens.push(...parseTokenFile((await read('xds-token-file', f)).toString('utf8')));
    }
    if (tokens.length === 0) {
      throw new PilotError('PILOT_ERR_TLS', `--xds-token-file ${file}: no tokens in it`);
    }
  }
  return {
    address: { ...flags.address },
    cert,
    key,
    ...(clientCa ? { clientCa } : {}),
    ...(tokens ? { tokens } : {}),
  };
}
