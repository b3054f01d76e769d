// Test harness for the JavaPeer program (interop/java: a real Apache Dubbo 3.3.4 application, direct
// URLs on 127.0.0.1, no registry), shared by this package's SDK interop tests and strait-proxy's
// dubbo_proxy interop tests. Needs the workspace checkout: interop/generate.mjs compiles the peer (Maven
// resolves Dubbo once into .interop-cache/) and prints the command that runs it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { encodeRequest } from '../codec/index.js';
import type { ServiceDefinition } from '../sdk/index.js';

/** The interface JavaPeer serves and calls. */
export const JAVA_PEER_INTERFACE = 'io.strait.interop.DemoService';

// src/testing and dist/testing are both two levels below the package root.
const GENERATE = fileURLToPath(new URL('../../interop/generate.mjs', import.meta.url));

/**
 * The command (executable, argv) that runs JavaPeer with `args`, or undefined when it cannot run here:
 * STRAIT_DUBBO_INTEROP=off, no java/javac/mvn, or the build failed. The first call may take minutes
 * (a cold Maven cache); later ones reuse the compiled classes.
 */
export function javaPeerCommand(...args: string[]): [string, string[]] | undefined {
  if (process.env['STRAIT_DUBBO_INTEROP'] === 'off') return undefined;
  if (!['java', 'javac', 'mvn'].every((t) => spawnSync(t, ['-version']).status === 0)) return undefined;
  const r = spawnSync(process.execPath, [GENERATE, '--command', 'JavaPeer', ...args], {
    encoding: 'utf8',
    timeout: 280_000,
  });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as [string, string[]];
}

/** Whether JavaPeer can run on this machine (builds it on first use); for describe.skipIf. */
export function javaPeerAvailable(): boolean {
  return javaPeerCommand('provider', '0') !== undefined;
}

export interface JavaPeer {
  readonly child: ChildProcess;
  /** Complete stdout lines so far. */
  readonly lines: readonly string[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first stdout line matching `re`; rejects after `ms` with what the JVM said. */
  waitFor(re: RegExp, ms: number): Promise<string>;
  /** The last 8 KB of stderr. */
  stderr(): string;
}

const started: ChildProcess[] = [];

/** Starts JavaPeer (`consumer PORT` or `provider PORT`); it is killed by killJavaPeers(). */
export function startJavaPeer(args: string[]): JavaPeer {
  const command = javaPeerCommand(...args);
  if (!command) throw new Error('JavaPeer cannot run here (java, javac and mvn are needed)');
  const child = spawn(command[0], command[1], { stdio: ['pipe', 'pipe', 'pipe'] });
  started.push(child);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  let stderr = '';
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.re.test(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-8000);
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = (re: RegExp, ms: number) =>
    new Promise<string>((resolve, reject) => {
      const hit = lines.find((l) => re.test(l));
      if (hit !== undefined) return resolve(hit);
      const t = setTimeout(
        () => reject(new Error(`no ${re} from java in ${ms} ms\n${lines.join('\n')}\n${stderr}`)),
        ms,
      );
      waiters.push({
        re,
        resolve: (line) => {
          clearTimeout(t);
          resolve(line);
        },
      });
    });
  return { child, lines, exited, waitFor, stderr: () => stderr };
}

/** Kills every JavaPeer still running (for afterAll). */
export function killJavaPeers(): void {
  for (const c of started.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
}

/** What JavaPeer's consumer calls, served the way its checks expect (see javaConsumerExpected). */
export function javaPeerService(): ServiceDefinition {
  return {
    interface: JAVA_PEER_INTERFACE,
    version: '1.0.0',
    methods: {
      sayHello: ([n]) => `hello ${String(n)} from ts`,
      // Java's `long` return type wants a Long: say so, as a JS number would be written as an int.
      add: ([a, b]) => ({ $class: 'long', $: Number(a) + Number(b) }),
      fail: ([m]) => {
        throw new Error(String(m));
      },
      echoMap: ([m]) => m,
      echoList: ([l]) => l,
    },
  };
}

/** JavaPeer's consumer prints `RESULT method=value` or `RESULT method!exception`: by method. */
export function javaConsumerResults(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    lines
      .map((l) => /^RESULT (\w+)([=!])(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], `${m[2]}${m[3]}`]),
  );
}

/** The results JavaPeer's consumer must print against javaPeerService(). */
export const javaConsumerExpected: Readonly<Record<string, string>> = {
  sayHello: '=hello java from ts',
  add: '=42',
  fail: '!java.lang.RuntimeException: kaput',
  echoMap: '={k=v, n=7}',
  echoList: '=[x, y]',
  unicode: '=hello 世界 \u{1F680} from ts',
};

/** A Dubbo2 request frame for JavaPeer's `sleep(ms, value)`: a call that stays in flight for `ms`. */
export function sleepRequest(id: bigint, ms: number, value: string): Buffer {
  return encodeRequest({
    id,
    service: JAVA_PEER_INTERFACE,
    version: '1.0.0',
    method: 'sleep',
    parameterTypes: 'ILjava/lang/String;',
    args: [ms, value],
    attachments: { path: JAVA_PEER_INTERFACE, interface: JAVA_PEER_INTERFACE, version: '1.0.0' },
  });
}

/** A port the kernel just handed out on 127.0.0.1 (closed again), for JavaPeer's provider. */
export async function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}
