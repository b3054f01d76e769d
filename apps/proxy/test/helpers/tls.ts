// Real TLS endpoints for passthrough tests: a throwaway CA and one server certificate made by the
// openssl CLI at test time, TLS servers that say who they are and which SNI they saw, and a client
// that verifies the server against that CA (so a passing test proves the handshake crossed the proxy
// byte for byte).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';

export interface TestPki {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** A CA and a server certificate for `names` (SANs; wildcards allowed), EC P-256, valid one day. */
export function makePki(names: string[]): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'strait-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl(
      'req',
      '-x509',
      ...ec,
      '-days',
      '1',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      '/CN=strait test CA',
    );
    openssl('req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=strait test server');
    const san = join(dir, 'san.ext');
    execFileSync('sh', [
      '-c',
      `printf 'subjectAltName=%s\\n' "$1" > "$2"`,
      'sh',
      names.map((n) => `DNS:${n}`).join(','),
      san,
    ]);
    openssl(
      'x509',
      '-req',
      '-in',
      'srv.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      san,
      '-out',
      'srv.crt',
    );
    return {
      ca: readFileSync(join(dir, 'ca.crt')),
      cert: readFileSync(join(dir, 'srv.crt')),
      key: readFileSync(join(dir, 'srv.key')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TlsBackend {
  name: string;
  port: number;
  /** Connections whose handshake completed. */
  handshakes: number;
  close(): Promise<void>;
}

/** Answers each line with `NAME sni=SERVERNAME alpn=PROTO: LINE`, after a real handshake. */
export async function tlsBackend(name: string, pki: TestPki): Promise<TlsBackend> {
  const sockets = new Set<net.Socket>();
  const b: TlsBackend = { name, port: 0, handshakes: 0, close: async () => {} };
  const server = tls.createServer(
    { cert: pki.cert, key: pki.key, ALPNProtocols: ['h2', 'http/1.1'] },
    (s) => {
      b.handshakes++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      s.setEncoding('utf8');
      s.on('data', (d: string) =>
        s.write(`${name} sni=${s.servername || '-'} alpn=${s.alpnProtocol || '-'}: ${d}`),
      );
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  b.port = (server.address() as net.AddressInfo).port;
  b.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return b;
}

/**
 * Connects through `port` with SNI `servername`, verifies the server certificate against the CA for
 * that name, sends `line` and returns the reply; rejects if the connection closes first.
 */
export function tlsCall(
  port: number,
  servername: string,
  pki: TestPki,
  line = 'hello',
  alpn?: string[],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = tls.connect({
      host: '127.0.0.1',
      port,
      servername,
      ca: pki.ca,
      ...(alpn ? { ALPNProtocols: alpn } : {}),
    });
    let got = '';
    c.setEncoding('utf8');
    c.once('secureConnect', () => c.write(line));
    c.on('data', (d: string) => {
      got += d;
      if (got.endsWith(line)) {
        c.end();
        resolve(got);
      }
    });
    c.on('error', reject);
    c.on('close', () => reject(new Error(`closed before a reply (got ${JSON.stringify(got)})`)));
    c.setTimeout(5000, () => c.destroy(new Error('timeout')));
  });
}
