// Real Apache Dubbo 3.3.4 on both sides of the proxy (the JavaPeer program of @strait/dubbo's interop
// suite): a Java consumer through dubbo_proxy to an SDK provider, and an SDK consumer through
// dubbo_proxy to a Java provider whose graceful shutdown sends READONLY while a call is in flight.
// Skipped without java/javac/mvn or with STRAIT_DUBBO_INTEROP=off.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { encodeRequest } from '@strait/dubbo/codec';
import { DubboConnection, DubboConsumer, DubboProvider } from '@strait/dubbo/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../../src/proxy.js';
import { dubboBootstrap, dubboCluster, stat } from '../../helpers/dubbo.js';
import { startProxy } from '../../helpers/harness.js';

const GENERATE = fileURLToPath(
  new URL('../../../../../packages/dubbo/interop/generate.mjs', import.meta.url),
);
const IFACE = 'io.strait.interop.DemoService';

function javaCommand(...args: string[]): [string, string[]] | undefined {
  if (process.env['STRAIT_DUBBO_INTEROP'] === 'off') return undefined;
  if (!['java', 'javac', 'mvn'].every((t) => spawnSync(t, ['-version']).status === 0)) return undefined;
  const r = spawnSync(process.execPath, [GENERATE, '--command', 'JavaPeer', ...args], {
    encoding: 'utf8',
    timeout: 280_000,
  });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as [string, string[]];
}

const probe = javaCommand('provider', '0');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function startJava(args: string[]) {
  const [cmd, argv] = javaCommand(...args)!;
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let stderr = '';
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-8000);
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (re: RegExp, ms: number) => {
    const end = Date.now() + ms;
    while (!lines.some((l) => re.test(l))) {
      if (Date.now() > end) throw new Error(`no ${re} from java\n${lines.join('\n')}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, lines, exited, waitFor, stderr: () => stderr };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const ALL = `
- interface: "*"
  routes: [{ match: { method: { name: { prefix: "" } } }, route: { cluster: up } }]`;

describe.skipIf(probe === undefined)('dubbo_proxy between real Apache Dubbo applications', () => {
  it('a Java Dubbo consumer calls an SDK provider through the proxy', async () => {
    const provider = new DubboProvider({ port: 0, qos: false, registerOnStart: false });
    provider.addService({
      interface: IFACE,
      version: '1.0.0',
      methods: {
        sayHello: ([n]) => `hello ${String(n)} from ts`,
        add: ([a, b]) => ({ $class: 'long', $: Number(a) + Number(b) }),
        fail: ([m]) => {
          throw new Error(String(m));
        },
        echoMap: ([m]) => m,
        echoList: ([l]) => l,
      },
    });
    await provider.start();
    let proxy: StraitProxy | undefined;
    try {
      proxy = await startProxy(dubboBootstrap(ALL, dubboCluster('up', [provider.port])));
      const java = startJava(['consumer', String(proxy.listenerPort('dubbo'))]);
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
      expect(await stat(proxy, 'dubbo.outbound_dubbo.request_decoding_error')).toBe(0);
    } finally {
      await proxy?.shutdown();
      await provider.close({ drainTimeoutMs: 100 });
    }
  }, 120_000);

  it('an SDK consumer calls a Java provider through the proxy; its READONLY on shutdown loses no call', async () => {
    const port = await freePort();
    const java = startJava(['provider', String(port)]);
    await java.waitFor(/^READY/, 90_000);
    const proxy = await startProxy(dubboBootstrap(ALL, dubboCluster('up', [port])));
    const proxyPort = proxy.listenerPort('dubbo')!;
    const consumer = new DubboConsumer({
      providers: [{ host: '127.0.0.1', port: proxyPort }],
      timeoutMs: 10_000,
    });
    const base = { service: IFACE, version: '1.0.0' };
    try {
      await expect(
        consumer.invoke({ ...base, method: 'sayHello', parameterTypes: ['java.lang.String'], args: ['ts'] }),
      ).resolves.toBe('hello ts from java');
      await expect(
        consumer.invoke({ ...base, method: 'add', parameterTypes: ['int', 'long'], args: [2, 40] }),
      ).resolves.toBe(42);
      // A call in flight when the Java provider starts its graceful shutdown (READONLY first).
      const conn = await DubboConnection.connect({ host: '127.0.0.1', port: proxyPort });
      const slow = conn.request(
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
      );
      await new Promise((r) => setTimeout(r, 200));
      java.child.stdin!.write('stop\n');
      const res = await slow;
      expect(res?.value).toBe('finished');
      expect(await stat(proxy, 'dubbo.outbound_dubbo.upstream_readonly')).toBeGreaterThanOrEqual(1);
      conn.close();
      await java.waitFor(/^STOPPED/, 60_000);
    } finally {
      consumer.close();
      java.child.stdin!.end();
      await proxy.shutdown();
    }
  }, 180_000);
});
