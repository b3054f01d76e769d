import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/exec.js';
import {
  createTestNetns,
  requireRoot,
  sweepStaleNamespaces,
  waitForLine,
  withTestNetns,
} from '../../src/testing/index.js';
import { connectFrom, startServer } from '../helpers/servers.js';

async function namespaces(): Promise<string[]> {
  const { stdout } = await runCommand(['ip', 'netns', 'list'], { timeoutMs: 5_000 });
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '');
}

describe('network-namespace harness', () => {
  it('runs as root here, and fails (does not skip) for any other uid', () => {
    requireRoot();
    const testing = join(import.meta.dirname, '..', '..', 'dist', 'testing', 'index.js');
    const script = `import(${JSON.stringify(testing)}).then((t) => t.requireRoot()).catch((e) => { console.log(e.code, e.message); process.exit(1); })`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(child.status).toBe(1);
    expect(child.stdout).toMatch(/^NETFILTER_ERR_NOT_ROOT root is required: .*\(id -u is 65534\)/);
  });

  it('joins a pod namespace and a peer namespace with a veth, IPv4 and IPv6', async () => {
    await withTestNetns(async (ns) => {
      expect(ns.address).toMatch(/^10\.200\.\d+\.1$/);
      const addrs = (await ns.execChecked(['ip', '-br', 'addr', 'show', 'veth0'])).stdout;
      expect(addrs).toContain(`${ns.address}/30`);
      expect(addrs).toContain(`${ns.address6}/64`);
      await startServer(ns, 'peer', '::', 8080, { peer: true });
      expect((await connectFrom(ns, ns.peerAddress, 8080)).server).toBe('peer');
      expect((await connectFrom(ns, ns.peerAddress6, 8080)).server).toBe('peer');
      // The host namespace has no such address: it lives only in the namespaces the harness made.
      const host = await runCommand(['ip', '-br', 'addr'], { timeoutMs: 5_000 });
      expect(host.stdout).not.toContain(`${ns.address}/30`);
    });
  });

  it('destroy kills spawned processes and deletes both namespaces', async () => {
    const ns = await createTestNetns();
    const child = ns.spawn(['sleep', '60']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    expect(await namespaces()).toEqual(expect.arrayContaining([ns.name, ns.peerName]));
    await ns.destroy();
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    const left = await namespaces();
    expect(left).not.toContain(ns.name);
    expect(left).not.toContain(ns.peerName);
    await ns.destroy(); // idempotent
  });

  it('cleans up when the test body throws', async () => {
    let name = '';
    await expect(
      withTestNetns(async (ns) => {
        name = ns.name;
        throw new Error('test failed');
      }),
    ).rejects.toThrow('test failed');
    expect(await namespaces()).not.toContain(name);
  });

  it('sweeps namespaces left by a dead test process', async () => {
    const stale = 'strait-t4194999-0'; // above the kernel's pid_max: no such process
    await runCommand(['ip', 'netns', 'add', stale], { timeoutMs: 5_000 });
    expect(await sweepStaleNamespaces()).toContain(stale);
    expect(await namespaces()).not.toContain(stale);
  });

  it('waitForLine gives up after its bound with the process stderr', async () => {
    await withTestNetns(async (ns) => {
      const child = ns.spawn(['sh', '-c', 'echo starting >&2; sleep 30']);
      await expect(waitForLine(child, /^ready/, 300)).rejects.toThrow(
        /no line matching \/\^ready\/ within 300 ms; stderr: starting/,
      );
    });
  });
});
