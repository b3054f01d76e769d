// The cache key and the lock, without building anything.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kubernetesVersion } from '../src/paths.js';
import { apiserverBinaryPath, prepareApiserver } from '../src/prepare.js';

describe('prepareApiserver', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('names the cached binary by Kubernetes version and a hash of the module and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-cache-'));
    process.env['STRAIT_CACHE_DIR'] = dir;
    delete process.env['STRAIT_KUBE_APISERVER'];
    expect(kubernetesVersion()).toMatch(/^v1\.\d+\.\d+$/);
    expect(apiserverBinaryPath()).toMatch(
      new RegExp(`^${dir}/kube-apiserver-${kubernetesVersion()}-[0-9a-f]{12}$`),
    );
    rmSync(dir, { recursive: true });
  });

  it('uses a cached binary without building, and STRAIT_KUBE_APISERVER as given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-cache-'));
    process.env['STRAIT_CACHE_DIR'] = dir;
    delete process.env['STRAIT_KUBE_APISERVER'];
    writeFileSync(apiserverBinaryPath(), '');
    expect(await prepareApiserver()).toMatchObject({ built: false, path: apiserverBinaryPath() });
    process.env['STRAIT_KUBE_APISERVER'] = join(dir, 'missing');
    await expect(prepareApiserver()).rejects.toMatchObject({ code: 'KT_ERR_BUILD' });
    rmSync(dir, { recursive: true });
  });

  it('waits for a live lock holder and gives up at the bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-cache-'));
    process.env['STRAIT_CACHE_DIR'] = dir;
    delete process.env['STRAIT_KUBE_APISERVER'];
    const lock = `${apiserverBinaryPath()}.lock`;
    mkdirSync(lock);
    // Our own pid is alive: the lock is respected, not taken over.
    writeFileSync(join(lock, 'owner'), `${hostname()}:${process.pid}`);
    await expect(prepareApiserver({ lockTimeoutMs: 300, log: () => {} })).rejects.toMatchObject({
      code: 'KT_ERR_LOCK_TIMEOUT',
    });
    // The holder finishes: the binary appears and the waiter returns it.
    setTimeout(() => writeFileSync(apiserverBinaryPath(), ''), 200);
    expect(await prepareApiserver({ lockTimeoutMs: 5_000, log: () => {} })).toMatchObject({ built: false });
    rmSync(dir, { recursive: true });
  });
});
