// A single-member etcd (Debian's etcd-server) on free loopback ports, as kube-apiserver's storage.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { KubeTestingError } from './errors.js';
import { exited, freePort, LogTail, sleep, stopProcess } from './process.js';

export class EtcdServer {
  #child: ChildProcess | undefined;
  readonly #log = new LogTail();

  private constructor(
    /** `http://127.0.0.1:PORT` */
    readonly url: string,
  ) {}

  /** Starts etcd with its data in `dir`; resolves when it answers, rejects after `timeoutMs`. */
  static async start(dir: string, timeoutMs: number): Promise<EtcdServer> {
    const client = `http://127.0.0.1:${await freePort()}`;
    const peer = `http://127.0.0.1:${await freePort()}`;
    const etcd = new EtcdServer(client);
    const child = spawn(
      'etcd',
      [
        '--name=kube-testing',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=kube-testing=${peer}`,
        // Test data is thrown away: a small backend quota bounds disk use.
        '--quota-backend-bytes=536870912',
        '--log-level=warn',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.arch === 'arm64' ? 'arm64' : '' },
      },
    );
    etcd.#child = child;
    etcd.#log.attach(child);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const err = await Promise.race([spawnError, sleep(0).then(() => undefined)]);
      if (err) {
        throw new KubeTestingError(
          'KT_ERR_START',
          `cannot run etcd (${err.message}); install Debian's etcd-server (./run system-deps)`,
        );
      }
      if (exited(child)) throw new KubeTestingError('KT_ERR_START', `etcd exited:\n${etcd.#log.text}`);
      if (await etcd.healthy()) return etcd;
      if (Date.now() > deadline) {
        await etcd.stop();
        throw new KubeTestingError(
          'KT_ERR_START',
          `etcd not healthy after ${timeoutMs} ms:\n${etcd.#log.text}`,
        );
      }
      await sleep(100);
    }
  }

  get log(): string {
    return this.#log.text;
  }

  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  /**
   * Compacts etcd's history up to its current revision (through etcd's JSON gateway), as the
   * apiserver's periodic compaction would. A watch resuming from before it gets 410 Gone when the
   * apiserver runs without a watch cache. Returns the compacted revision.
   */
  async compact(): Promise<number> {
    const call = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${this.url}${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new KubeTestingError('KT_ERR_START', `etcd ${path}: HTTP ${res.status}`);
      return (await res.json()) as Record<string, unknown>;
    };
    // A range over nothing still returns the store's current revision in its header.
    const status = await call('/v3/kv/range', { key: Buffer.from('\0').toString('base64') });
    const revision = Number((status['header'] as Record<string, unknown> | undefined)?.['revision']);
    await call('/v3/kv/compaction', { revision: String(revision), physical: true });
    return revision;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    await stopProcess(child);
  }
}
