// The SDK against a real Apache Dubbo 3.3.4 application (interop/java/.../JavaPeer.java, no registry, direct
// URLs on 127.0.0.1): a Java consumer calls our provider, our consumer calls a Java provider, and the Java
// provider's graceful shutdown sends READONLY, which our consumer must honour. Skipped without java/mvn.
import { afterAll, describe, expect, it } from 'vitest';
import {
  DubboConnection,
  DubboConsumer,
  DubboProvider,
  DubboServiceExceptionError,
} from '../../src/index.js';
import {
  freeLoopbackPort,
  JAVA_PEER_INTERFACE as IFACE,
  javaConsumerExpected,
  javaConsumerResults,
  javaPeerAvailable,
  javaPeerService,
  killJavaPeers,
  sleepRequest,
  startJavaPeer,
} from '../../src/testing/index.js';
import { sleep } from '../helpers/demo.js';

afterAll(killJavaPeers);

describe.skipIf(!javaPeerAvailable())('SDK interop with a real Apache Dubbo application', () => {
  it('a Java Dubbo consumer calls the @strait/dubbo provider', async () => {
    const provider = new DubboProvider({ port: 0, qos: false });
    provider.addService(javaPeerService());
    await provider.start();
    try {
      const java = startJavaPeer(['consumer', String(provider.port)]);
      const code = await java.exited;
      expect(javaConsumerResults(java.lines), java.stderr()).toEqual(javaConsumerExpected);
      expect(code).toBe(0);
    } finally {
      await provider.close({ drainTimeoutMs: 100 });
    }
  }, 120_000);

  it('our consumer calls a Java Dubbo provider, and honours its READONLY on graceful shutdown', async () => {
    const port = await freeLoopbackPort();
    const java = startJavaPeer(['provider', String(port)]);
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
        .request((id) => sleepRequest(id, 1500, 'finished'), 10_000)
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
