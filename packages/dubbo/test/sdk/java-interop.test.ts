// The SDK against a real Apache Dubbo 3.3.4 application (interop/java/.../JavaPeer.java, no registry, direct
// URLs on 127.0.0.1): a Java consumer calls our provider, our consumer calls a Java provider, and the Java
// provider's graceful shutdown sends READONLY, which our consumer must honour. Skipped without java/mvn.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DubboConnection,
  DubboConsumer,
  DubboProvider,
  DubboServiceExceptionError,
  encodeRequest,
} from '../../src/index.js';
import { sleep } from '../helpers/demo.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const IFACE = 'io.strait.interop.DemoService';

function javaCommand(...args: string[]): [string, string[]] | undefined {
  if (process.env['STRAIT_DUBBO_INTEROP'] === 'off') return undefined;
  if (!['java', 'javac', 'mvn'].every((t) => spawnSync(t, ['-version']).status === 0)) return undefined;
  const r = spawnSync(
    process.execPath,
    [join(pkg, 'interop', 'generate.mjs'), '--command', 'JavaPeer', ...args],
    {
      encoding: 'utf8',
      timeout: 280_000,
    },
  );
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as [string, string[]];
}

const probe = javaCommand('provider', '0');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Spawns a JVM and collects its stdout lines; `waitFor` resolves when a line matches. */
function startJava(args: string[]) {
  const [cmd, argv] = javaCommand(...args)!;
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.re.test(line)) w.resolve(line);
        else waiters.push(w);
      }
      i = buf.indexOf('\n');
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
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
    });
  return { child, lines, waitFor, exited, stderr: () => stderr };
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe.skipIf(probe === undefined)('SDK interop with a real Apache Dubbo application', () => {
  it('a Java Dubbo consumer calls the @strait/dubbo provider', async () => {
    const provider = new DubboProvider({ port: 0, qos: false });
    provider.addService({
      interface: IFACE,
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
    });
    await provider.start();
    try {
      const java = startJava(['consumer', String(provider.port)]);
      children.push(java.child);
      const code = await java.exited;
      const results = Object.fromEntries(
        java.lines
          .filter((l) => l.startsWith('RESULT '))
          .map((l) => {
            const m = /^RESULT (\w+)([=!])(.*)$/.exec(l)!;
            return [m[1], `${m[2]}${m[3]}`];
          }),
      );
      expect(results, java.stderr()).toEqual({
        sayHello: '=hello java from ts',
        add: '=42',
        fail: '!java.lang.RuntimeException: kaput',
        echoMap: '={k=v, n=7}',
        echoList: '=[x, y]',
        unicode: '=hello 世界 \u{1F680} from ts',
      });
      expect(code).toBe(0);
    } finally {
      await provider.close({ drainTimeoutMs: 100 });
    }
  }, 120_000);

  it('our consumer calls a Java Dubbo provider, and honours its READONLY on graceful shutdown', async () => {
    const port = await freePort();
    const java = startJava(['provider', String(port)]);
    children.push(java.child);
    await java.waitFor(/^READY/, 90_000);
    const consumer = new DubboConsumer({ providers: [{ host: '127.0.0.1', port }], timeoutMs: 10_000 });
    const base = { service: IFACE, version: '1.0.0' };
    try {
      await expect(
        consumer.invoke({ ...base, method: 'sayHello', parameterTypes: ['java.lang.String'], args: ['ts'] }),
      ).resolves.toBe('hello ts from java');
      await expect(
        consumer.invoke({ ...base, method: 'add', parameterTypes: ['int', 'long'], args: [2, 40] }),
      ).resolves.toBe(42);
      await expect(
        consumer.invoke({
          ...base,
          method: 'echoMap',
          parameterTypes: ['java.util.Map'],
          args: [{ a: 'b', n: 1 }],
        }),
      ).resolves.toEqual({ a: 'b', n: 1 });
      const err = await consumer
        .invoke({ ...base, method: 'fail', parameterTypes: ['java.lang.String'], args: ['nope'] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DubboServiceExceptionError);
      expect((err as DubboServiceExceptionError).exception).toMatchObject({
        name: 'java.lang.IllegalStateException',
        message: 'nope',
      });

      // A raw connection, to watch the event itself: a call in flight, then Dubbo's graceful shutdown.
      const conn = await DubboConnection.connect({ host: '127.0.0.1', port });
      const order: string[] = [];
      const readonly = new Promise<void>((r) =>
        conn.on('readonly', () => {
          order.push('readonly');
          r();
        }),
      );
      const slow = conn
        .request(
          (id) =>
            encodeRequest({
              id,
              service: IFACE,
              version: '1.0.0',
              method: 'sleep',
              parameterTypes: 'ILjava/lang/String;',
              args: [1500, 'finished'],
              attachments: { path: IFACE, interface: IFACE, version: '1.0.0' },
            }),
          10_000,
        )
        .then((r) => {
          order.push('response');
          return r;
        });
      await sleep(200);
      java.child.stdin!.write('stop\n');
      const res = await slow;
      expect(res?.value).toBe('finished');
      await Promise.race([readonly, sleep(30_000)]);
      expect(order).toContain('readonly');
      // Dubbo sends READONLY at the start of its graceful shutdown, while our call is still running.
      expect(order).toEqual(['readonly', 'response']);
      expect(conn.available).toBe(false);
      await java.waitFor(/^STOPPED/, 60_000);
    } finally {
      consumer.close();
      java.child.stdin!.end();
    }
  }, 180_000);
});
