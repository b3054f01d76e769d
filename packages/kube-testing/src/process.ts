// Small helpers for the server processes the harness runs: free ports, bounded log tails, stopping.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port the kernel just gave out on 127.0.0.1 (free until someone else binds it: good enough here). */
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

/** Keeps the last `max` characters a child printed, for error messages. */
export class LogTail {
  #text = '';
  constructor(private readonly max = 16_000) {}

  attach(child: ChildProcess): void {
    const append = (d: Buffer): void => {
      this.#text = (this.#text + d.toString()).slice(-this.max);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
  }

  get text(): string {
    return this.#text;
  }
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(child: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  if (!child || exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
