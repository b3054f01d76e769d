// ADS over TLS (Istio's 15012) with real certificates made by the openssl CLI in a temp dir: a client
// certificate verified against --tls-client-ca, or an `authorization: Bearer` token; everything else
// ends with UNAUTHENTICATED and is counted. Also: the plaintext listener can be turned off.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { InProcessRegistry } from '@strait/registry';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Pilot, type XdsTlsOptions } from '../../src/pilot.js';
import { loadXdsTls } from '../../src/xds/auth.js';
import { baseConfig, seededRegistry } from '../helpers/scenario.js';
import { CDS, node, XdsTestClient } from '../helpers/xds-client.js';

const sidecar = node(
  'sidecar~10.0.9.9~productpage.default~default.svc.cluster.local',
  { NAMESPACE: 'default' },
  { app: 'productpage' },
);
const SPIFFE = 'spiffe://cluster.local/ns/default/sa/productpage';

let dir: string;
const file = (name: string) => join(dir, name);
const pem = (name: string) => readFileSync(file(name));
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}
/** A self-signed CA (EC P-256, one day). */
function ca(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-subj',
    `/CN=${name}`,
  );
}
/** A certificate signed by `signer`, with these SANs. */
function leaf(name: string, signer: string, san: string): void {
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  );
  writeFileSync(file(`${name}.ext`), `subjectAltName=${san}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${signer}.crt`,
    '-CAkey',
    `${signer}.key`,
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  );
}

function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

describe('ADS over TLS', () => {
  let registry: InProcessRegistry;
  let pilot: Pilot | undefined;
  const clients: XdsTestClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pilot-tls-'));
    ca('ca');
    ca('other-ca');
    leaf('server', 'ca', 'DNS:localhost,IP:127.0.0.1');
    leaf('client', 'ca', `URI:${SPIFFE}`);
    leaf('stranger', 'other-ca', 'URI:spiffe://elsewhere/ns/x/sa/y');
    registry = await seededRegistry();
  }, 30_000);
  afterAll(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await pilot?.close();
    pilot = undefined;
  });

  async function start(tls: Partial<XdsTlsOptions>, plaintext = false): Promise<Pilot> {
    pilot = await Pilot.start({
      config: baseConfig(),
      registries: [registry],
      ...(plaintext ? { xdsAddress: { host: '127.0.0.1', port: 0 } } : {}),
      httpAddress: { host: '127.0.0.1', port: 0 },
      xdsTls: {
        address: { host: '127.0.0.1', port: 0 },
        cert: pem('server.crt'),
        key: pem('server.key'),
        ...tls,
      },
      debounceAfterMs: 10,
      debounceMaxMs: 100,
    });
    return pilot;
  }
  function client(p: Pilot, cert?: string): XdsTestClient {
    const creds = cert
      ? grpc.credentials.createSsl(pem('ca.crt'), pem(`${cert}.key`), pem(`${cert}.crt`))
      : grpc.credentials.createSsl(pem('ca.crt'));
    const c = new XdsTestClient(p.xdsTlsAddress, creds);
    clients.push(c);
    return c;
  }
  async function rejected(stream: ReturnType<XdsTestClient['sotw']>): Promise<grpc.StatusObject> {
    stream.send({ node: sidecar, typeUrl: CDS });
    await stream.closed;
    return stream.status!;
  }
  const failures = (p: Pilot, reason: string) => p.metrics.get('pilot_xds_auth_failures', { reason }) ?? 0;

  it('client certificate mode: a certificate from the client CA gets config; its SAN is the identity in /debug/adsz', async () => {
    const p = await start({ clientCa: pem('ca.crt') });
    expect(p.xdsAddress).toBe(''); // plaintext off: only TLS is served
    const s = client(p, 'client').sotw();
    s.send({ node: sidecar, typeUrl: CDS });
    const cds = await s.next();
    expect(cds.typeUrl).toBe(CDS);
    expect(cds.resources.length).toBeGreaterThan(0);
    const adsz = (await (await fetch(`http://${p.httpAddress}/debug/adsz`)).json()) as {
      identity?: string;
    }[];
    expect(adsz.map((c) => c.identity)).toEqual([`cert: URI:${SPIFFE}`]);
    s.end();
  });

  it('client certificate mode: no certificate, or one from another CA, ends with UNAUTHENTICATED and is counted', async () => {
    const p = await start({ clientCa: pem('ca.crt') });
    const none = await rejected(client(p).sotw());
    expect(none.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(none.details).toMatch(/no credentials.*client certificate signed by the --tls-client-ca CA/);
    const stranger = await rejected(client(p, 'stranger').delta() as never);
    expect(stranger.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(stranger.details).toMatch(/not verified by the client CA/);
    expect(failures(p, 'no_credentials')).toBe(1);
    expect(failures(p, 'untrusted_certificate')).toBe(1);
    expect(p.ads.connections.size).toBe(0);
    expect(await (await fetch(`http://${p.httpAddress}/metrics`)).text()).toContain(
      'pilot_xds_auth_failures{reason="untrusted_certificate"} 1',
    );
  });

  it('token mode: the right bearer token gets config (SotW and Delta); a wrong or missing one gets UNAUTHENTICATED', async () => {
    const tokenFile = file('tokens');
    writeFileSync(tokenFile, '# accepted xDS tokens\nold-token-1\n\ns3cret-token-2\n');
    const tls = await loadXdsTls({
      address: { host: '127.0.0.1', port: 0 },
      certFile: file('server.crt'),
      keyFile: file('server.key'),
      clientCaFile: undefined,
      tokenFile,
    });
    expect(tls.tokens).toEqual(['old-token-1', 's3cret-token-2']);
    const p = await start({ tokens: tls.tokens! }, true);
    expect(p.xdsAddress).not.toBe(''); // plaintext stays when asked for

    const s = client(p).sotw(bearer('s3cret-token-2'));
    s.send({ node: sidecar, typeUrl: CDS });
    expect((await s.next()).typeUrl).toBe(CDS);
    const d = client(p).delta(bearer('old-token-1'));
    d.send({ node: sidecar, typeUrl: CDS, resourceNamesSubscribe: ['*'] });
    expect((await d.next()).typeUrl).toBe(CDS);
    expect(p.ads.connections.size).toBe(2);
    for (const c of p.ads.connections)
      expect(c.describe()['identity']).toMatch(/^token: token sha256:[0-9a-f]{12}$/);

    const wrong = await rejected(client(p).sotw(bearer('s3cret-token-3')));
    expect(wrong.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(wrong.details).toMatch(/bearer token not accepted/);
    const missing = await rejected(client(p).sotw());
    expect(missing.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(missing.details).toMatch(/no credentials.*'authorization: Bearer <token>'/);
    // A client certificate is not asked for in token mode: it does not authenticate.
    const certOnly = await rejected(client(p, 'client').sotw());
    expect(certOnly.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(failures(p, 'bad_token')).toBe(1);
    expect(failures(p, 'no_credentials')).toBe(2);
    s.end();
    d.end();
  });

  it('both: a certificate or a token authenticates', async () => {
    const p = await start({ clientCa: pem('ca.crt'), tokens: ['t0k'] });
    const viaCert = client(p, 'client').sotw();
    viaCert.send({ node: sidecar, typeUrl: CDS });
    expect((await viaCert.next()).typeUrl).toBe(CDS);
    const viaToken = client(p, 'stranger').sotw(bearer('t0k'));
    viaToken.send({ node: sidecar, typeUrl: CDS });
    expect((await viaToken.next()).typeUrl).toBe(CDS);
    const neither = await rejected(client(p, 'stranger').sotw(bearer('nope')));
    expect(neither.code).toBe(grpc.status.UNAUTHENTICATED);
    viaCert.end();
    viaToken.end();
  });

  it('unusable certificate files fail at start with PILOT_ERR_TLS', async () => {
    await expect(start({ cert: Buffer.from('not a pem'), tokens: ['x'] })).rejects.toMatchObject({
      code: 'PILOT_ERR_TLS',
    });
    await expect(
      loadXdsTls({
        address: { host: '127.0.0.1', port: 0 },
        certFile: file('missing.crt'),
        keyFile: file('server.key'),
        clientCaFile: undefined,
        tokenFile: undefined,
      }),
    ).rejects.toMatchObject({ code: 'PILOT_ERR_TLS', message: /--tls-cert .*missing\.crt/ });
  });
});
