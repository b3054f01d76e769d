// Real Apache Dubbo 3.3.4 on both sides of the proxy (the JavaPeer program of @strait/dubbo's interop
// suite): a Java consumer through dubbo_proxy to an SDK provider, and an SDK consumer through
// dubbo_proxy to a Java provider whose graceful shutdown sends READONLY while a call is in flight.
// Skipped without java/javac/mvn or with STRAIT_DUBBO_INTEROP=off.
import { DubboConnection, DubboConsumer, DubboProvider } from '@strait/dubbo/sdk';
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
} from '@strait/dubbo/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../../src/proxy.js';
import { dubboBootstrap, dubboCluster, stat } from '../../helpers/dubbo.js';
import { startProxy } from '../../helpers/harness.js';

afterAll(killJavaPeers);

const ALL = `
- interface: "*"
  routes: [{ match: { method: { name: { prefix: "" } } }, route: { cluster: up } }]`;

describe.skipIf(!javaPeerAvailable())('dubbo_proxy between real Apache Dubbo applications', () => {
  it('a Java Dubbo consumer calls an SDK provider through the proxy', async () => {
    const provider = new DubboProvider({ port: 0, qos: false, registerOnStart: false });
    provider.addService(javaPeerService());
    await provider.start();
    let proxy: StraitProxy | undefined;
    try {
      proxy = await startProxy(dubboBootstrap(ALL, dubboCluster('up', [provider.port])));
      const java = startJavaPeer(['consumer', String(proxy.listenerPort('dubbo'))]);
      const code = await java.exited;
      expect(javaConsumerResults(java.lines), java.stderr()).toEqual(javaConsumerExpected);
      expect(code).toBe(0);
      expect(await stat(proxy, 'dubbo.outbound_dubbo.request_decoding_error')).toBe(0);
    } finally {
      await proxy?.shutdown();
      await provider.close({ drainTimeoutMs: 100 });
    }
  }, 120_000);

  it('an SDK consumer calls a Java provider through the proxy; its READONLY on shutdown loses no call', async () => {
    const port = await freeLoopbackPort();
    const java = startJavaPeer(['provider', String(port)]);
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
      const slow = conn.request((id) => sleepRequest(id, 1500, 'finished'), 10_000);
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
