// Builds kube-apiserver from the Go module proxy once per machine and caches the binary.
//
// Why a build and not a download: the only network here is the package registries, and the Go module
// proxy serves Kubernetes' source. `go install k8s.io/kubernetes/cmd/kube-apiserver@vX` cannot work
// (k8s.io/kubernetes replaces its staging modules with ./staging paths), so apiserver/go.mod pins every
// staging module to its published v0.X release and apiserver/main.go runs the upstream command.
//
// Test files run in parallel workers (and packages in parallel turbo tasks), so the build is guarded by
// a lock directory: the first caller builds, the others wait for the binary to appear. The cache key
// covers go.mod, go.sum, main.go and the flags, so changing any of them builds a new binary.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { KubeTestingError } from './errors.js';
import { apiserverModuleDir, cacheDir, kubernetesVersion } from './paths.js';

/** Flags for a small, reproducible binary: no paths of this machine, no symbol table or DWARF. */
const BUILD_ARGS = ['build', '-trimpath', '-ldflags=-s -w'];
/**
 * `-p=2`: two packages compile at once, so the build fits the 2-core machines CI uses without starving
 * other work; `-mod=readonly`: go.sum is the lock, a build never edits it.
 */
const BUILD_GOFLAGS = '-p=2 -mod=readonly -buildvcs=false';

export interface PrepareOptions {
  /** Bound on the build itself. Default 30 min (a cold build takes ~6 min on 2 idle cores). */
  readonly buildTimeoutMs?: number;
  /** Bound on waiting for another process's build. Default 40 min. */
  readonly lockTimeoutMs?: number;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface ApiserverBinary {
  readonly path: string;
  readonly version: string;
  /** Whether this call built it (false: it was cached, or another process built it). */
  readonly built: boolean;
  /** Seconds the build took, when this call built it. */
  readonly buildSeconds?: number;
}

/** Where the binary for the current go.mod/go.sum/main.go is (or will be) cached. */
export function apiserverBinaryPath(): string {
  const override = process.env['STRAIT_KUBE_APISERVER'];
  if (override) return override;
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) h.update(readFileSync(join(apiserverModuleDir, f)));
  h.update(BUILD_ARGS.join(' ') + BUILD_GOFLAGS);
  return join(cacheDir(), `kube-apiserver-${kubernetesVersion()}-${h.digest('hex').slice(0, 12)}`);
}

/** Returns the cached kube-apiserver, building it first (under a cross-process lock) when missing. */
export async function prepareApiserver(options: PrepareOptions = {}): Promise<ApiserverBinary> {
  const path = apiserverBinaryPath();
  const version = kubernetesVersion();
  if (existsSync(path)) return { path, version, built: false };
  if (process.env['STRAIT_KUBE_APISERVER'])
    throw new KubeTestingError('KT_ERR_BUILD', `STRAIT_KUBE_APISERVER=${path} does not exist`);
  const log = options.log ?? ((line: string) => process.stderr.write(`[kube-testing] ${line}\n`));
  mkdirSync(dirname(path), { recursive: true });
  const lock = `${path}.lock`;
  const deadline = Date.now() + (options.lockTimeoutMs ?? 40 * 60_000);
  let announced = false;
  for (;;) {
    if (existsSync(path)) return { path, version, built: false };
    if (tryLock(lock)) break;
    if (Date.now() > deadline)
      throw new KubeTestingError('KT_ERR_LOCK_TIMEOUT', `${lock} (held by ${readOwner(lock)})`);
    if (!announced) log(`waiting for another build of kube-apiserver ${version} (${readOwner(lock)})`);
    announced = true;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  try {
    if (existsSync(path)) return { path, version, built: false };
    const seconds = await build(path, version, options.buildTimeoutMs ?? 30 * 60_000, log);
    return { path, version, built: true, buildSeconds: seconds };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** mkdir is atomic: whoever creates the directory owns the build. A dead owner's lock is taken over. */
function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = readOwner(lock);
    const [host, pidText] = owner.split(':');
    const pid = Number(pidText);
    if (host === hostname() && Number.isInteger(pid) && pid > 0 && !alive(pid)) {
      rmSync(lock, { recursive: true, force: true });
      return tryLock(lock);
    }
    return false;
  }
  writeFileSync(join(lock, 'owner'), `${hostname()}:${process.pid}`);
  return true;
}

function readOwner(lock: string): string {
  try {
    return readFileSync(join(lock, 'owner'), 'utf8').trim();
  } catch {
    return 'unknown owner';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function build(
  path: string,
  version: string,
  timeoutMs: number,
  log: (l: string) => void,
): Promise<number> {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0)
    throw new KubeTestingError('KT_ERR_NO_GO', 'install Go 1.26+ (kube-apiserver is built from source)');
  const logPath = `${path}.build.log`;
  const tmp = `${path}.tmp-${process.pid}`;
  log(`building kube-apiserver ${version} with ${go.stdout.trim()} (cold: several minutes; log ${logPath})`);
  const started = Date.now();
  const out = createWriteStream(logPath);
  // Its own process group, so a timeout kills the compiler and linker children too.
  const child = spawn('go', [...BUILD_ARGS, '-o', tmp, '.'], {
    cwd: apiserverModuleDir,
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: BUILD_GOFLAGS },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  let tail = '';
  child.stderr.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4_000);
  });
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => {
    clearTimeout(timer);
    out.end();
  });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  if (code !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    const why = code === null ? `killed after ${timeoutMs} ms` : `exit ${code}`;
    throw new KubeTestingError('KT_ERR_BUILD', `${why}; see ${logPath}\n${tail}`);
  }
  renameSync(tmp, path);
  writeFileSync(
    `${path}.json`,
    `${JSON.stringify({ version, seconds, builtAt: new Date().toISOString() })}\n`,
  );
  log(`built ${path} in ${seconds} s`);
  return seconds;
}
