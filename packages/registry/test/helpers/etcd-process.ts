// Runs a real single-member etcd (Debian's etcd-server) on free loopback ports in a temp data dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class EtcdProcess {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'strait-etcd-'));
  clientPort = 0;
  log = '';

  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  async start(): Promise<void> {
    this.clientPort = await freePort();
    const peerPort = await freePort();
    const client = `http://127.0.0.1:${this.clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const child = spawn(
      'etcd',
      [
        '--name',
        'strait-test',
        '--data-dir',
        join(this.dir, 'data'),
        '--listen-client-urls',
        client,
        '--advertise-client-urls',
        client,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `strait-test=${peer}`,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.arch === 'arm64' ? 'arm64' : '' },
      },
    );
    this.child = child;
    const append = (d: Buffer): void => {
      this.log = (this.log + d.toString()).slice(-20_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const probe = new Etcd3({ hosts: client });
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${this.log}`);
        try {
          await probe.put('/strait-probe').value('1').exec();
          return;
        } catch (err) {
          if (Date.now() > deadline)
            throw new Error(`etcd did not become ready: ${String(err)}\n${this.log}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      probe.close();
    }
  }

  /** Compacts history up to the current revision, as an operator or auto-compaction would. */
  async compact(): Promise<void> {
    const c = new Etcd3({ hosts: `http://${this.endpoint}` });
    try {
      const res = await c.put('/strait-compact-marker').value(String(Date.now())).exec();
      await c.kv.compact({ revision: res.header.revision, physical: true });
    } finally {
      c.close();
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
