// Runs one external command (iptables, iptables-restore, ip) with a hard time bound. Everything that
// touches the kernel's tables goes through here so errors carry argv, status and stderr uniformly.
import { spawn } from 'node:child_process';
import {
  NetfilterCommandFailedError,
  NetfilterCommandNotFoundError,
  NetfilterCommandTimeoutError,
} from './errors.js';

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to stdin, then stdin is closed (iptables-restore reads its rules here). */
  readonly input?: string;
  /** Kill the command (SIGKILL) after this long; it then rejects with NETFILTER_ERR_COMMAND_TIMEOUT. */
  readonly timeoutMs: number;
}

/** The seam apply/remove use; tests or callers with their own sandboxing can pass another. */
export type CommandRunner = (argv: readonly string[], options: RunOptions) => Promise<CommandResult>;

// Output beyond this is dropped: iptables-save of a busy host can be large, and nothing needs more.
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Resolves with the exit status whatever it is; rejects only for not-found and timeout. */
export const runCommand: CommandRunner = (argv, options) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    if (file === undefined) throw new TypeError('runCommand: empty argv');
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (outBytes < MAX_OUTPUT_BYTES) out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes < MAX_OUTPUT_BYTES) err.push(chunk);
      errBytes += chunk.length;
    });
    child.on('error', (cause: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (cause.code === 'ENOENT') reject(new NetfilterCommandNotFoundError(argv, { cause }));
      else reject(cause);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new NetfilterCommandTimeoutError(argv, options.timeoutMs));
        return;
      }
      resolve({
        status,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    // EPIPE when the command exits without reading stdin surfaces through 'close' with its status.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });

/** Like runCommand, but a non-zero exit rejects with NETFILTER_ERR_COMMAND_FAILED. */
export async function runChecked(
  run: CommandRunner,
  argv: readonly string[],
  options: RunOptions,
): Promise<CommandResult> {
  const result = await run(argv, options);
  if (result.status !== 0) throw new NetfilterCommandFailedError(argv, result.status, result.stderr);
  return result;
}
