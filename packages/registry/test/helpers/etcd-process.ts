// A real single-member etcd (Debian's etcd-server) on free loopback ports in a temp data dir: the
// kube-testing harness's EtcdServer, plus the temp dir and the `host:port` endpoint the etcd backend takes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdServer } from '@strait/kube-testing';

export class EtcdProcess {
  #server: EtcdServer | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'strait-etcd-'));

  /** `127.0.0.1:PORT` */
  get endpoint(): string {
    return new URL(this.#server!.url).host;
  }

  async start(): Promise<void> {
    this.#server = await EtcdServer.start(this.dir, 30_000);
  }

  /** Compacts history up to the current revision, as an operator or auto-compaction would. */
  async compact(): Promise<void> {
    await this.#server!.compact();
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
    this.#server = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
