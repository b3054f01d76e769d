// The strait-pilot binary as users and scripts run it: port 0, machine-readable address lines,
// metrics and debug endpoints, rejected config reported with file/object/field/reason, clean exit.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CDS, node, XdsTestClient } from './helpers/xds-client.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

const goodYaml = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: web, namespace: default }
spec:
  hosts: [web.example.com]
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  endpoints: [{ address: 10.1.1.1 }]
`;
const badYaml = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: broken, namespace: default }
spec:
  hosts: [web.example.com]
  http:
    - route:
        - { destination: { host: web.example.com }, weight: -150 }
`;

describe.skipIf(!existsSync(bin))('strait-pilot bin', () => {
  let dir: string;
  let child: ChildProcess;
  let http = '';
  let xds = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pilot-bin-'));
    writeFileSync(join(dir, 'good.yaml'), goodYaml);
    writeFileSync(join(dir, 'bad.yaml'), badYaml);
    child = spawn(
      process.execPath,
      [bin, '--config-dir', dir, '--xds-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0'],
      {
        env: { ...process.env, STRAIT_PILOT_LOG_LEVEL: 'warn', STRAIT_PILOT_DEBOUNCE_AFTER: '10ms' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`pilot did not start: ${out} ${err}`)), 20_000);
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        xds = /xds listening on (\S+)/.exec(out)?.[1] ?? '';
        http = /http listening on (\S+)/.exec(out)?.[1] ?? '';
        if (xds && http) {
          clearTimeout(t);
          resolve();
        }
      });
    });
  });

  afterAll(() => {
    child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the bound addresses and serves Prometheus metrics with Istio names', async () => {
    expect(xds).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(xds.endsWith(':0')).toBe(false);
    const text = await (await fetch(`http://${http}/metrics`)).text();
    for (const m of [
      'pilot_xds ',
      'pilot_xds_pushes',
      'pilot_proxy_convergence_time',
      'pilot_xds_config_size_bytes',
      'pilot_total_xds_rejects',
    ]) {
      expect(text).toContain(`# TYPE ${m.trim()}`);
    }
  });

  it('reports rejected config with file, object, field and reason on /debug/configz', async () => {
    const body = (await (await fetch(`http://${http}/debug/configz`)).json()) as {
      objects: { kind: string; name: string }[];
      rejected: { file: string; object: string; field: string; reason: string }[];
    };
    expect(body.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['ServiceEntry/web']);
    expect(body.rejected[0]).toMatchObject({
      file: expect.stringContaining('bad.yaml'),
      object: 'VirtualService/default/broken',
    });
    expect(body.rejected[0]!.field).toMatch(/spec\.http\[0\]\.route\[0\]\.weight/);
    expect(body.rejected[0]!.reason).toMatch(/-150 is negative/);
  });

  it('serves /debug/syncz and /debug/adsz', async () => {
    expect(await (await fetch(`http://${http}/debug/syncz`)).json()).toEqual([]);
    expect(await (await fetch(`http://${http}/debug/adsz`)).json()).toEqual([]);
  });

  it('colocated: serves xDS only on the Unix socket unless --xds-address is given', async () => {
    const socket = join(dir, 'xds.sock');
    const p = spawn(
      process.execPath,
      [
        bin,
        '--config-dir',
        dir,
        '--architecture',
        'colocated',
        '--xds-unix-socket',
        socket,
        '--http-address',
        '127.0.0.1:0',
      ],
      {
        env: { ...process.env, STRAIT_PILOT_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no start: ${out}`)), 20_000);
      p.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('http listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    p.kill('SIGTERM');
    expect(out).toContain(`xds listening on unix://${socket}`);
    expect(out).not.toMatch(/xds listening on \d/);
    expect(await new Promise((r) => p.on('exit', r))).toBe(0);
  });

  it('TLS only: --xds-address none, --xds-tls-address with the cert, key and token directory from STRAIT_PILOT_* variables', async () => {
    execFileSync(
      'openssl',
      [
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
        'tls.key',
        '-out',
        'tls.crt',
        '-subj',
        '/CN=pilot',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    mkdirSync(join(dir, 'tokens'));
    writeFileSync(join(dir, 'tokens', 'proxy-a'), 'token-a\n');
    const p = spawn(
      process.execPath,
      [
        bin,
        '--config-dir',
        dir,
        '--xds-address',
        'none',
        '--xds-tls-address',
        '127.0.0.1:0',
        '--http-address',
        '127.0.0.1:0',
      ],
      {
        env: {
          ...process.env,
          STRAIT_PILOT_LOG_LEVEL: 'warn',
          STRAIT_PILOT_TLS_CERT: join(dir, 'tls.crt'),
          STRAIT_PILOT_TLS_KEY: join(dir, 'tls.key'),
          STRAIT_PILOT_XDS_TOKEN_FILE: join(dir, 'tokens'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no start: ${out}`)), 20_000);
      p.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('http listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    expect(out).not.toMatch(/^xds listening/m);
    const tlsAddress = /xds-tls listening on (\S+)/.exec(out)?.[1] ?? '';
    const client = new XdsTestClient(
      tlsAddress,
      grpc.credentials.createSsl(readFileSync(join(dir, 'tls.crt'))),
    );
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer token-a');
    const s = client.sotw(md);
    s.send({
      node: node('sidecar~10.0.0.1~a.default~default.svc.cluster.local', { NAMESPACE: 'default' }),
      typeUrl: CDS,
    });
    expect((await s.next()).typeUrl).toBe(CDS);
    client.close();
    p.kill('SIGTERM');
    expect(await new Promise((r) => p.on('exit', r))).toBe(0);
  });

  it('exits 1 naming the file when a TLS file is missing', async () => {
    const p = spawn(
      process.execPath,
      [
        bin,
        '--config-dir',
        dir,
        '--xds-tls-address',
        '127.0.0.1:0',
        '--tls-cert',
        join(dir, 'nope.crt'),
        '--tls-key',
        join(dir, 'nope.key'),
        '--xds-token-file',
        join(dir, 'nope'),
      ],
      { env: { ...process.env, STRAIT_PILOT_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    p.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
    });
    expect(await new Promise((r) => p.on('exit', r))).toBe(1);
    expect(err).toMatch(/--tls-cert .*nope\.crt.*PILOT_ERR_TLS/);
  });

  it('exits 2 with a clear message on a bad flag', async () => {
    const p = spawn(process.execPath, [bin, '--config-dir', dir, '--architecture', 'mesh'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    p.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const code = await new Promise<number | null>((r) => p.on('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/--architecture "mesh": expected one of colocated, three-in-one, scale-out/);
    expect(err).toContain('PILOT_ERR_INVALID_FLAG');
  });
});
