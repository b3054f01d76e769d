import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBootstrap, httpUpstream, request, staticCluster, type Upstream } from '../helpers/harness.js';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** Runs the built binary; resolves with the admin and listener ports it logs. */
function start(
  args: string[],
): Promise<{ child: ChildProcess; admin: number; listener: number; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const admin = /admin listening on [^:]+:(\d+)/.exec(err);
      const listener = /listener "http" on [^:]+:(\d+)/.exec(err);
      if (admin && listener)
        resolve({ child, admin: Number(admin[1]), listener: Number(listener[1]), stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

describe.skipIf(!existsSync(bin))('strait-proxy binary', () => {
  let up: Upstream;
  let dir: string;

  beforeAll(async () => {
    up = await httpUpstream('svc');
    dir = mkdtempSync(join(tmpdir(), 'strait-proxy-'));
  });
  afterAll(async () => {
    await up.close();
  });

  it('starts from --bootstrap, serves traffic, and drains then exits 0 on SIGTERM', async () => {
    const file = join(dir, 'bootstrap.yaml');
    writeFileSync(
      file,
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: svc } }]`,
        staticCluster('svc', [up.port]),
      ),
    );
    const p = await start(['--bootstrap', file, '--drain-time-s', '1', '--prometheus-address', 'off']);
    const r = await request(p.listener, { path: '/via-binary' });
    expect(JSON.parse(r.body).url).toBe('/via-binary');
    expect((await request(p.admin, { path: '/ready' })).status).toBe(200);
    const t0 = Date.now();
    const exited = new Promise<number | null>((resolve) => p.child.on('exit', (code) => resolve(code)));
    p.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('exits 1 with coded errors for a bad bootstrap and bad flags', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'static_resources: { clusters: [{ name: c, conect_timeout: 1s }] }\n');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        c.stderr.on('data', (d: Buffer) => {
          err += d.toString();
        });
        c.on('exit', (code) => resolve({ code, err }));
      });
    const bad = await run(['--bootstrap', file]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('PROXY_ERR_BOOTSTRAP_PARSE');
    expect(bad.err).toContain('static_resources.clusters[0].conect_timeout');
    const flag = await run(['--bootstrap']);
    expect(flag.code).toBe(1);
    expect(flag.err).toContain('PROXY_ERR_BAD_FLAG');
  });
});
