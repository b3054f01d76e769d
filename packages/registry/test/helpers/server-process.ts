// Runs the real `strait-registry` binary (the built dist/server/bin.js) as a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../dist/server/bin.js', import.meta.url));

export class ServerProcess {
  private child: ChildProcess | undefined;
  port = 0;
  log = '';

  constructor(
    readonly dataDir: string,
    readonly extraArgs: string[] = [],
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the server (on the previous port when restarting, so clients reconnect to the same address). */
  async start(): Promise<void> {
    if (!existsSync(BIN))
      throw new Error(`${BIN} missing: run \`pnpm --filter @strait/registry build\` first`);
    const child = spawn(
      process.execPath,
      [BIN, '--data-dir', this.dataDir, '--address', `127.0.0.1:${this.port}`, ...this.extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => {
      this.log += d.toString();
    });
    this.port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = /listening on [^\s]+:(\d+)/.exec(out);
        if (m) {
          child.stdout?.off('data', onData);
          resolve(Number(m[1]));
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`strait-registry exited with ${code}: ${this.log}`)));
    });
  }

  /** SIGKILL: no shutdown path runs; only what was fsynced survives. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(sig);
    await exited;
  }
}
