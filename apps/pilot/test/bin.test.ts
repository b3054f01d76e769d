// The strait-pilot binary as users and scripts run it: port 0, machine-readable address lines,
// metrics and debug endpoints, rejected config reported with file/object/field/reason, clean exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
        - { destination: { host: web.example.com }, weight: 150 }
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
    expect(body.rejected[0]!.reason).toMatch(/150/);
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
