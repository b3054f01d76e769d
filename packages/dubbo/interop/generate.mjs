// Regenerates test/fixtures/dubbo-java.json with Apache Dubbo's own Java codec.
// Maven only resolves the classpath; javac compiles the single generator file. The classpath and classes
// are cached in .interop-cache/ (git-ignored), keyed by a hash of the pom and the source, so a warm run is
// one JVM start (~1-2 s) and a cold one is bounded by the step timeouts below.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const javaDir = join(pkg, 'interop', 'java');
const source = join(javaDir, 'src', 'main', 'java', 'io', 'strait', 'interop', 'GenFixtures.java');
const pom = join(javaDir, 'pom.xml');
const cache = join(pkg, '.interop-cache');
const classes = join(cache, 'classes');
const classpathFile = join(cache, 'classpath.txt');
const keyFile = join(cache, 'key.txt');
export const fixturePath = join(pkg, 'test', 'fixtures', 'dubbo-java.json');

function run(cmd, args, timeoutMs) {
  const r = spawnSync(cmd, args, { cwd: javaDir, encoding: 'utf8', timeout: timeoutMs });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}`;
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${why})\n${(r.stdout ?? '').slice(-2000)}${(r.stderr ?? '').slice(-4000)}`,
    );
  }
  return r.stdout;
}

/** True when java, javac and mvn are on PATH: CI and developer machines have them. */
export function toolchainAvailable() {
  return ['java', 'javac', 'mvn'].every((t) => spawnSync(t, ['-version'], { encoding: 'utf8' }).status === 0);
}

export function generate(out = fixturePath) {
  const key = createHash('sha256').update(readFileSync(pom)).update(readFileSync(source)).digest('hex');
  const fresh =
    existsSync(keyFile) &&
    readFileSync(keyFile, 'utf8') === key &&
    existsSync(classpathFile) &&
    existsSync(classes);
  if (!fresh) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(classes, { recursive: true });
    run('mvn', ['-q', '-B', 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`], 150_000);
    const cp = readFileSync(classpathFile, 'utf8').trim();
    run('javac', ['-encoding', 'UTF-8', '-nowarn', '-d', classes, '-cp', cp, source], 60_000);
    writeFileSync(keyFile, key);
  }
  const cp = `${classes}:${readFileSync(classpathFile, 'utf8').trim()}`;
  run('java', ['-cp', cp, 'io.strait.interop.GenFixtures', out], 60_000);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  console.log(`wrote ${generate(process.argv[2] ?? fixturePath)} in ${Date.now() - t0} ms`);
}
