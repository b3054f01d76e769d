import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyFrame,
  DubboConsumer,
  DubboNoProviderError,
  type DubboProvider,
  DubboRemoteError,
  DubboServiceExceptionError,
  DubboTimeoutError,
  encodeHeartbeatRequest,
  FrameDecoder,
  Status,
} from '../../src/index.js';
import { DEMO, sleep, startDemoProvider } from '../helpers/demo.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function provider(name: string): Promise<DubboProvider> {
  const p = await startDemoProvider(name);
  open.push(p);
  return p;
}

function consumer(ports: number[], timeoutMs = 2000): DubboConsumer {
  const c = new DubboConsumer({ providers: ports.map((port) => ({ host: '127.0.0.1', port })), timeoutMs });
  open.push(c);
  return c;
}

const call = (method: string, types: string[], args: unknown[]) => ({
  service: DEMO,
  version: '1.0.0',
  method,
  parameterTypes: types,
  args,
});

describe('DubboConsumer against DubboProvider over TCP', () => {
  it('calls a method and gets its value', async () => {
    const p = await provider('a');
    const c = consumer([p.port]);
    await expect(c.invoke(call('sayHello', ['java.lang.String'], ['world']))).resolves.toBe(
      'hello world from a',
    );
    await expect(c.invoke(call('add', ['int', 'long'], [2, 40]))).resolves.toBe(42);
    await expect(c.invoke(call('nothing', [], []))).resolves.toBeNull();
  });

  it('returns response attachments with invokeRaw', async () => {
    const p = await provider('a');
    const c = consumer([p.port]);
    const res = await c.invokeRaw(call('whoami', [], []));
    expect(res?.attachments).toMatchObject({ provider: 'a', dubbo: '2.0.2' });
  });

  it('multiplexes concurrent calls over one connection, answers matched by request id', async () => {
    const p = await provider('a');
    const c = consumer([p.port]);
    const calls = Array.from({ length: 40 }, (_, i) =>
      c.invoke(call('sleep', ['int', 'java.lang.String'], [(40 - i) % 7, `tag-${i}`])),
    );
    const results = await Promise.all(calls);
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => `tag-${i}`));
    expect(p.connectionCount).toBe(1);
  });

  it('times out a slow call, ignores its late answer, and keeps the connection usable', async () => {
    const p = await provider('a');
    const c = consumer([p.port]);
    const slow = c.invoke({ ...call('sleep', ['int', 'java.lang.String'], [300, 'late']), timeoutMs: 50 });
    await expect(slow).rejects.toBeInstanceOf(DubboTimeoutError);
    await expect(slow).rejects.toMatchObject({ code: 'DUBBO_ERR_TIMEOUT' });
    await sleep(300);
    await expect(c.invoke(call('sayHello', ['java.lang.String'], ['again']))).resolves.toBe(
      'hello again from a',
    );
  });

  it('surfaces a thrown service exception as DubboServiceExceptionError', async () => {
    const p = await provider('a');
    const c = consumer([p.port]);
    const err = await c.invoke(call('fail', ['java.lang.String'], ['kaput'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DubboServiceExceptionError);
    expect((err as DubboServiceExceptionError).message).toContain('kaput');
    expect((err as DubboServiceExceptionError).exception).toMatchObject({
      name: 'java.lang.RuntimeException',
    });
  });

  it('maps an unknown service to SERVICE_NOT_FOUND and an unknown method to SERVICE_ERROR', async () => {
    const p = await provider('a');
    const c = consumer([p.port]);
    const e1 = await c.invoke({ ...call('sayHello', [], []), version: '9.9.9' }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(DubboRemoteError);
    expect((e1 as DubboRemoteError).status).toBe(Status.SERVICE_NOT_FOUND);
    const e2 = await c.invoke(call('nope', [], [])).catch((e: unknown) => e);
    expect((e2 as DubboRemoteError).status).toBe(Status.SERVICE_ERROR);
  });

  it('serves Dubbo generic invocation ($invoke) by unwrapping method, types and arguments', async () => {
    const p = await provider('a');
    const c = consumer([p.port]);
    const generic = {
      service: DEMO,
      version: '1.0.0',
      method: '$invoke',
      parameterTypes: 'Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;',
      args: ['add', ['int', 'int'], [20, 22]],
      attachments: { generic: 'true' },
    };
    await expect(c.invoke(generic)).resolves.toBe(42);
  });

  it('routes by group and version to the matching service', async () => {
    const p = await provider('a');
    p.addService({ interface: DEMO, version: '1.0.0', group: 'gray', methods: { whoami: () => 'gray' } });
    p.addService({ interface: DEMO, version: '2.0.0', methods: { whoami: () => 'v2' } });
    const c = consumer([p.port]);
    await expect(c.invoke({ ...call('whoami', [], []), group: 'gray' })).resolves.toBe('gray');
    await expect(c.invoke({ ...call('whoami', [], []), version: '2.0.0' })).resolves.toBe('v2');
    await expect(c.invoke(call('whoami', [], []))).resolves.toBe('a');
  });

  it('setProviders drains a removed provider: its call in flight completes, new calls go elsewhere', async () => {
    const a = await provider('a');
    const b = await provider('b');
    const c = consumer([a.port]);
    const slow = c.invoke(call('sleep', ['int', 'java.lang.String'], [150, 'from-a']));
    await sleep(30);
    c.setProviders([{ host: '127.0.0.1', port: b.port }]);
    await expect(c.invoke(call('whoami', [], []))).resolves.toBe('b');
    await expect(slow).resolves.toBe('from-a');
    await expect.poll(() => a.connectionCount).toBe(0);
  });

  it('fails fast with no providers', async () => {
    const c = consumer([]);
    await expect(c.invoke(call('sayHello', [], []))).rejects.toBeInstanceOf(DubboNoProviderError);
  });

  it('keeps an idle connection alive with heartbeats', async () => {
    const p = await provider('a');
    const c = new DubboConsumer({
      providers: [{ host: '127.0.0.1', port: p.port }],
      heartbeatIntervalMs: 40,
    });
    open.push(c);
    await c.invoke(call('sayHello', ['java.lang.String'], ['x']));
    await sleep(300); // > 3 intervals: without heartbeat answers the consumer would have dropped the connection
    await c.invoke(call('sayHello', ['java.lang.String'], ['y']));
    expect(p.connectionCount).toBe(1);
  });

  it('provider answers a raw heartbeat request with a heartbeat response of the same id', async () => {
    const p = await provider('a');
    const sock = connect(p.port, '127.0.0.1');
    const d = new FrameDecoder();
    const got = new Promise<Buffer>((resolve) => sock.on('data', (b) => d.push(b).forEach(resolve)));
    sock.write(encodeHeartbeatRequest(77n));
    const frame = await got;
    sock.destroy();
    const c = classifyFrame(frame);
    expect(c.kind).toBe('heartbeat-response');
    expect(c.header.requestId).toBe(77n);
  });
});

describe('READONLY and graceful shutdown', () => {
  it('a consumer moves to the other provider when one sends READONLY, losing no call', async () => {
    const a = await provider('a');
    const b = await provider('b');
    const c = consumer([a.port, b.port]);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(String(await c.invoke(call('whoami', [], []))));
    expect(seen).toEqual(new Set(['a', 'b']));

    // Keep calling while a shuts down; every call must succeed.
    let stop = false;
    const answers: string[] = [];
    const loop = (async () => {
      while (!stop) answers.push(String(await c.invoke(call('whoami', [], []))));
    })();
    loop.catch(() => {}); // awaited below; this only keeps a failure from being reported as unhandled first
    await sleep(30);
    await a.close({ drainTimeoutMs: 2000 });
    const before = answers.length;
    await sleep(50);
    stop = true;
    await loop;
    expect(answers.length).toBeGreaterThan(before);
    expect(answers.slice(before)).toEqual(answers.slice(before).map(() => 'b'));
  });

  it('lets an in-flight call finish during a graceful close', async () => {
    const a = await provider('a');
    const c = consumer([a.port]);
    const slow = c.invoke(call('sleep', ['int', 'java.lang.String'], [150, 'done']));
    await sleep(20);
    const closing = a.close({ drainTimeoutMs: 2000 });
    await expect(slow).resolves.toBe('done');
    await closing;
  });

  it('reconnects to the only provider after READONLY when it keeps serving', async () => {
    const a = await provider('a');
    const c = consumer([a.port]);
    await c.invoke(call('whoami', [], []));
    a.sendReadonly();
    await sleep(30);
    await expect(c.invoke(call('whoami', [], []))).resolves.toBe('a');
  });
});
