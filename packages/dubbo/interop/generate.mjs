// Runs Apache Dubbo's own Java codec for the interop test.
//   node interop/generate.mjs [out.json]          encode the fixture frames (GenFixtures) → test/fixtures/dubbo-java.json
//   node interop/generate.mjs --decode in out     decode frames @strait/dubbo made (DecodeFrames) → out
// Maven only resolves the classpath; javac compiles the generator sources directly. The classpath and classes
// are cached in .interop-cache/ (git-ignored), keyed by a hash of the pom and the sources, so a warm run is
// one JVM start (~1-2 s) and a cold one is bounded by the step timeouts below (Maven downloads Dubbo once).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const javaDir = join(pkg, 'interop', 'java');
const sourceDir = join(javaDir, 'src', 'main', 'java', 'io', 'strait', 'interop');
const pom = join(javaDir, 'pom.xml');
const cache = join(pkg, '.interop-cache');
export const fixturePath = join(pkg, 'test', 'fixtures', 'dubbo-java.json');

class StepError extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
}

function run(step, cmd, args, timeoutMs) {
  const r = spawnSync(cmd, args, { cwd: javaDir, encoding: 'utf8', timeout: timeoutMs });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}`;
    const out = `${(r.stdout ?? '').slice(-2000)}${(r.stderr ?? '').slice(-4000)}`;
    throw new StepError(step, `${cmd} ${args.slice(0, 3).join(' ')} ... failed (${why})\n${out}`);
  }
  return r.stdout;
}

function sources() {
  return readdirSync(sourceDir)
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => join(sourceDir, f));
}

/**
 * Compiles the interop classes unless the cache is current; returns the java classpath.
 * Each pom+sources hash gets its own directory, built under a temporary name and renamed into place, so
 * test files that run in parallel never see (or delete) a half-built cache.
 */
export function build() {
  const hash = createHash('sha256').update(readFileSync(pom));
  for (const s of sources()) hash.update(readFileSync(s));
  const key = hash.digest('hex').slice(0, 16);
  const dir = join(cache, key);
  const classpathFile = join(dir, 'classpath.txt');
  if (!existsSync(classpathFile)) withBuildLock(() => existsSync(classpathFile) || compile(key, dir));
  return `${join(dir, 'classes')}:${readFileSync(classpathFile, 'utf8').trim()}`;
}

/**
 * One build at a time per checkout: test files start in parallel, and two Maven runs filling the same local
 * repository at once is asking for trouble. A lock older than the build's own time bound is stale.
 */
function withBuildLock(fn) {
  const lock = join(cache, '.lock');
  mkdirSync(cache, { recursive: true });
  const deadline = Date.now() + 290_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 290_000)
        rmSync(lock, { force: true, recursive: true });
      if (Date.now() > deadline) throw new StepError('lock', `timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true, recursive: true });
  }
}

function compile(key, dir) {
  const tmp = join(cache, `${key}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'classes'), { recursive: true });
  try {
    const tmpCp = join(tmp, 'classpath.txt.partial');
    run('maven', 'mvn', ['-q', '-B', 'dependency:build-classpath', `-Dmdep.outputFile=${tmpCp}`], 150_000);
    const cp = readFileSync(tmpCp, 'utf8').trim();
    const javac = ['-encoding', 'UTF-8', '-nowarn', '-d', join(tmp, 'classes'), '-cp', cp, ...sources()];
    run('javac', 'javac', javac, 90_000);
    renameSync(tmpCp, join(tmp, 'classpath.txt'));
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // Builds for older sources are of no further use.
  for (const old of readdirSync(cache)) {
    if (old !== key && !old.startsWith('.') && !old.includes('.tmp-')) {
      rmSync(join(cache, old), { recursive: true, force: true });
    }
  }
  return true;
}

/** Writes through a temporary file and renames, so concurrent readers never see half a fixture. */
function atomically(out, write) {
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    write(tmp);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

/** The workspace's biome, to format the fixture as `biome check` expects (else every regeneration is a diff). */
function biomeBin() {
  for (let dir = pkg; dir !== dirname(dir); dir = dirname(dir)) {
    const bin = join(dir, 'node_modules', '.bin', 'biome');
    if (existsSync(bin)) return bin;
  }
  return undefined;
}

export function generate(out = fixturePath) {
  const cp = build();
  return atomically(out, (tmp) => {
    run('java', 'java', ['-cp', cp, 'io.strait.interop.GenFixtures', tmp], 60_000);
    const biome = biomeBin();
    if (biome !== undefined) {
      const json = `${tmp}.json`;
      renameSync(tmp, json);
      run('format', biome, ['format', '--write', json], 60_000);
      renameSync(json, tmp);
    }
  });
}

export function decodeWithJava(input, out) {
  const cp = build();
  return atomically(out, (tmp) =>
    run('java', 'java', ['-cp', cp, 'io.strait.interop.DecodeFrames', input, tmp], 60_000),
  );
}

/** The java command line that runs a main class of the interop sources (for long-running peers). */
export function javaCommand(mainClass, ...args) {
  // IPv4 only: with IPv6 on, Dubbo may pick a non-loopback v6 address for "localhost".
  return [
    'java',
    ['-Djava.net.preferIPv4Stack=true', '-cp', build(), `io.strait.interop.${mainClass}`, ...args],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  try {
    const argv = process.argv.slice(2);
    if (argv[0] === '--command') {
      // Prints the java command line (JSON) for a main class: the SDK interop test spawns it itself.
      console.log(JSON.stringify(javaCommand(argv[1], ...argv.slice(2))));
    } else {
      const out =
        argv[0] === '--decode' ? decodeWithJava(argv[1], argv[2]) : generate(argv[0] ?? fixturePath);
      console.log(`wrote ${out} in ${Date.now() - t0} ms`);
    }
  } catch (err) {
    console.error(err.message);
    // Exit 3 = Maven could not resolve Dubbo (no registry access): the caller may fall back to the fixture.
    process.exit(err instanceof StepError && err.step === 'maven' ? 3 : 1);
  }
}
