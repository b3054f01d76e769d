// A throwaway pair of network namespaces joined by a veth, for tests that need real interception.
//
//   <name>  (the "pod": the test installs rules and runs the proxy here)
//     veth0 10.200.N.1/30, fd00:200:M::1/64 (M = N + 1), default routes via the peer, lo up
//   <name>-p (the "network": anything outside the pod)
//     veth0 10.200.N.2/30, fd00:200:M::2/64, lo up
//
// Both namespaces are created by the harness, so the addresses exist only inside them and the host's
// routes and tables are never touched. Every step is bounded in time; namespaces are deleted by
// destroy(), on process exit, and (for a crashed earlier run) by sweepStaleNamespaces().
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { NetfilterCommandFailedError, NetfilterNotRootError } from '../errors.js';
import { type CommandResult, runChecked, runCommand } from '../exec.js';

export interface TestNetnsOptions {
  /** Bound on each `ip` command, in ms. Default 10 000. */
  readonly timeoutMs?: number;
}

export interface NetnsExecOptions {
  readonly input?: string;
  /** Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Run in the peer namespace instead of the pod namespace. */
  readonly peer?: boolean;
}

export interface TestNetns {
  /** The pod namespace (`ip netns exec <name>`). */
  readonly name: string;
  /** The peer namespace on the other end of the veth. */
  readonly peerName: string;
  readonly address: string;
  readonly peerAddress: string;
  readonly address6: string;
  readonly peerAddress6: string;
  /** Runs a command to completion inside a namespace; resolves with its status whatever it is. */
  exec(argv: readonly string[], options?: NetnsExecOptions): Promise<CommandResult>;
  /** Like exec, but a non-zero status rejects with NETFILTER_ERR_COMMAND_FAILED. */
  execChecked(argv: readonly string[], options?: NetnsExecOptions): Promise<CommandResult>;
  /** Starts a long-running process inside a namespace; destroy() kills it. */
  spawn(argv: readonly string[], options?: { readonly peer?: boolean }): ChildProcessWithoutNullStreams;
  /** Kills spawned processes and deletes both namespaces (with their veth, routes and iptables rules). */
  destroy(): Promise<void>;
}

const PREFIX = 'strait-t';
const live = new Map<string, { children: Set<ChildProcessWithoutNullStreams> }>();
let sequence = 0;
let exitHookInstalled = false;
let swept = false;

/** Throws NETFILTER_ERR_NOT_ROOT unless `id -u` is 0: the harness must fail loudly, never skip. */
export function requireRoot(): void {
  let uid: string;
  try {
    uid = execFileSync('id', ['-u'], { encoding: 'utf8', timeout: 5_000 }).trim();
  } catch (cause) {
    throw new NetfilterNotRootError(`unknown (${String(cause)})`);
  }
  if (uid !== '0') throw new NetfilterNotRootError(uid);
}

export async function createTestNetns(options: TestNetnsOptions = {}): Promise<TestNetns> {
  requireRoot();
  installExitHook();
  if (!swept) {
    // Once per process: namespaces of runs killed before they could clean up (SIGKILL skips 'exit').
    swept = true;
    await sweepStaleNamespaces(options.timeoutMs).catch(() => []);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const seq = sequence++;
  const name = `${PREFIX}${process.pid}-${seq}`;
  const peerName = `${name}-p`;
  const n = seq % 256;
  const address = `10.200.${n}.1`;
  const peerAddress = `10.200.${n}.2`;
  // Written in canonical RFC 5952 form (no zero groups), as the kernel and Node print them back.
  const address6 = `fd00:200:${(n + 1).toString(16)}::1`;
  const peerAddress6 = `fd00:200:${(n + 1).toString(16)}::2`;
  const children = new Set<ChildProcessWithoutNullStreams>();
  live.set(name, { children });

  const ip = (...args: string[]) => runChecked(runCommand, ['ip', ...args], { timeoutMs });
  const ns = (namespace: string, argv: readonly string[]) =>
    namespace === '' ? [...argv] : ['ip', 'netns', 'exec', namespace, ...argv];

  const handle: TestNetns = {
    name,
    peerName,
    address,
    peerAddress,
    address6,
    peerAddress6,
    exec: (argv, o = {}) =>
      runCommand(ns(o.peer === true ? peerName : name, argv), {
        timeoutMs: o.timeoutMs ?? 10_000,
        ...(o.input === undefined ? {} : { input: o.input }),
      }),
    async execChecked(argv, o = {}) {
      const full = ns(o.peer === true ? peerName : name, argv);
      const result = await handle.exec(argv, o);
      if (result.status !== 0) throw new NetfilterCommandFailedError(full, result.status, result.stderr);
      return result;
    },
    spawn(argv, o = {}) {
      const [file, ...args] = ns(o.peer === true ? peerName : name, argv);
      const child = spawn(file as string, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    async destroy() {
      await killAll(children);
      await deleteNamespaces([name, peerName], timeoutMs);
      live.delete(name);
    },
  };

  try {
    await ip('netns', 'add', name);
    await ip('netns', 'add', peerName);
    // Created directly inside the namespaces, so the names cannot clash with host interfaces.
    await ip(
      'link',
      'add',
      'name',
      'veth0',
      'netns',
      name,
      'type',
      'veth',
      'peer',
      'name',
      'veth0',
      'netns',
      peerName,
    );
    for (const [namespace, mine, theirs, mine6, theirs6] of [
      [name, address, peerAddress, address6, peerAddress6],
      [peerName, peerAddress, address, peerAddress6, address6],
    ] as const) {
      await ip('-n', namespace, 'link', 'set', 'lo', 'up');
      await ip('-n', namespace, 'addr', 'add', `${mine}/30`, 'dev', 'veth0');
      // nodad: duplicate address detection would leave the address "tentative" (unusable) for ~1 s.
      await ip('-n', namespace, '-6', 'addr', 'add', `${mine6}/64`, 'dev', 'veth0', 'nodad');
      await ip('-n', namespace, 'link', 'set', 'veth0', 'up');
      if (namespace === name) {
        // A default route lets tests connect to any address (TEST-NET ranges included) from the pod.
        await ip('-n', namespace, 'route', 'add', 'default', 'via', theirs);
        await ip('-n', namespace, '-6', 'route', 'add', 'default', 'via', theirs6);
      }
    }
  } catch (err) {
    await handle.destroy().catch(() => {});
    throw err;
  }
  return handle;
}

/** Runs `fn` with a fresh pair of namespaces and always destroys them, also when `fn` throws. */
export async function withTestNetns<T>(
  fn: (ns: TestNetns) => Promise<T>,
  options: TestNetnsOptions = {},
): Promise<T> {
  const ns = await createTestNetns(options);
  try {
    return await fn(ns);
  } finally {
    await ns.destroy();
  }
}

/**
 * Deletes namespaces left by harness runs whose process is gone (a test runner killed mid-test).
 * Returns the names deleted. Namespaces of live processes are left alone: parallel runs are fine.
 */
export async function sweepStaleNamespaces(timeoutMs = 10_000): Promise<string[]> {
  const listed = await runChecked(runCommand, ['ip', 'netns', 'list'], { timeoutMs });
  const stale: string[] = [];
  for (const line of listed.stdout.split('\n')) {
    const nsName = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${PREFIX}(\\d+)-\\d+(-p)?$`).exec(nsName);
    if (match === null) continue;
    if (!isAlive(Number(match[1]))) stale.push(nsName);
  }
  await deleteNamespaces(stale, timeoutMs);
  return stale;
}

/** Resolves with the first stdout line matching `pattern`; rejects on timeout or process exit. */
export function waitForLine(
  child: ChildProcessWithoutNullStreams,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      reject(
        new Error(`process already exited (${child.exitCode ?? child.signalCode}); waited for ${pattern}`),
      );
      return;
    }
    let buffered = '';
    let stderr = '';
    const finish = (err: Error | undefined, line?: string) => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onErr);
      child.off('exit', onExit);
      if (err !== undefined) reject(err);
      else resolve(line ?? '');
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const hit = lines.find((l) => pattern.test(l));
      if (hit !== undefined) finish(undefined, hit);
    };
    const onErr = (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    };
    const onExit = (code: number | null) =>
      finish(new Error(`process exited (${code}) before printing ${pattern}; stderr: ${stderr.trim()}`));
    const timer = setTimeout(
      () => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr.trim()}`)),
      timeoutMs,
    );
    child.stdout.on('data', onData);
    child.stderr.on('data', onErr);
    child.on('exit', onExit);
  });
}

async function killAll(children: Set<ChildProcessWithoutNullStreams>): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          const timer = setTimeout(resolve, 5_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
}

async function deleteNamespaces(names: readonly string[], timeoutMs: number): Promise<void> {
  const failures: string[] = [];
  for (const nsName of names) {
    const result = await runCommand(['ip', 'netns', 'del', nsName], { timeoutMs });
    // "No such file or directory": already gone, which is the goal.
    if (result.status !== 0 && !/No such file|not found|does not exist/i.test(result.stderr)) {
      failures.push(`${nsName}: ${result.stderr.trim()}`);
    }
  }
  if (failures.length > 0) throw new Error(`could not delete network namespaces: ${failures.join('; ')}`);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort for a run that ends without destroy() (a failing beforeAll, a thrown hook): 'exit' allows
  // only synchronous work, so each deletion is a bounded execFileSync.
  process.on('exit', () => {
    for (const [nsName, { children }] of live) {
      for (const child of children) child.kill('SIGKILL');
      for (const n of [nsName, `${nsName}-p`]) {
        try {
          execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore', timeout: 5_000 });
        } catch {
          // Already gone, or ip is wedged: sweepStaleNamespaces() in the next run removes it.
        }
      }
    }
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive but owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
