// Child processes of the demo: the real built binaries, started in order and stopped in reverse.
// Each child gets its own process group (detached) so a terminal's Ctrl-C reaches only `strait`, which
// then stops them in a safe order: traffic first, then the proxy drains, then pilot and registry.
// If `strait` itself dies abruptly, an 'exit' hook still SIGKILLs whatever is left.
import { type ChildProcess, spawn } from 'node:child_process';
import { DemoError } from './errors.js';

/** Keep at most this much of a child's output: enough for a useful error tail, bounded memory. */
const LOG_LIMIT = 64 * 1024;

export interface ChildSpec {
  /** Shown in progress lines and errors: "registry", "pilot", "proxy". */
  name: string;
  /** Path of a node script (a workspace package's bin). */
  bin: string;
  args: readonly string[];
  env?: Readonly<Record<string, string>>;
}

export class SupervisedChild {
  private log = '';
  private readonly watchers = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const onData = (chunk: Buffer): void => {
      this.log += chunk.toString('utf8');
      if (this.log.length > LOG_LIMIT) this.log = this.log.slice(-LOG_LIMIT);
      for (const w of [...this.watchers]) w();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        for (const w of [...this.watchers]) w();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last `lines` lines of output, indented, for error messages. */
  tail(lines = 30): string {
    const all = this.log.trimEnd().split('\n');
    return all
      .slice(-lines)
      .map((l) => `    ${l}`)
      .join('\n');
  }

  /** Waits for a line matching `re` in the child's output; fails naming the component. */
  waitFor(re: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.watchers.delete(check);
        clearTimeout(timer);
      };
      const fail = (why: string): void => {
        done();
        reject(
          new DemoError(
            'CTL_ERR_START',
            `${this.name} ${why} before ${what}; last output:\n${this.tail() || '    (none)'}`,
            this.name,
          ),
        );
      };
      const check = (): void => {
        const m = re.exec(this.log);
        if (m) {
          done();
          resolve(m);
        } else if (!this.running) {
          fail(`exited (code ${this.child.exitCode}, signal ${this.child.signalCode})`);
        }
      };
      const timer = setTimeout(() => fail(`did not report within ${timeoutMs / 1000} s`), timeoutMs);
      this.watchers.add(check);
      check();
    });
  }

  /** SIGTERM (the children drain on it), then SIGKILL after `graceMs`. Resolves once it has exited. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export class Supervisor {
  private readonly children: SupervisedChild[] = [];
  private readonly onExit = (): void => this.killAllNow();

  constructor() {
    process.on('exit', this.onExit);
  }

  start(spec: ChildSpec): SupervisedChild {
    const child = spawn(process.execPath, [spec.bin, ...spec.args], {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    // A spawn failure (bad execPath) shows up as an exit with the error in the log.
    const sc = new SupervisedChild(spec.name, child);
    child.once('error', (err) => child.stderr?.emit('data', Buffer.from(`spawn failed: ${err.message}\n`)));
    this.children.push(sc);
    return sc;
  }

  /** Pids of every child started, for `--json` (tests check they are gone afterwards). */
  pids(): number[] {
    return this.children.map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  /** Stops children in reverse start order, each bounded by `graceMs`. */
  async stopAll(graceMs: number): Promise<void> {
    for (const c of [...this.children].reverse()) await c.stop(graceMs);
    process.off('exit', this.onExit);
  }

  private killAllNow(): void {
    for (const c of this.children) if (c.running) c.child.kill('SIGKILL');
  }
}
