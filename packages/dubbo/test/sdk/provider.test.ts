// The provider facing hostile clients: garbage and malformed frames cost the sender its connection or a
// BAD_REQUEST answer, never the provider process or its other clients.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyFrame,
  DubboConsumer,
  type DubboProvider,
  decodeResponse,
  encodeRequest,
  FrameDecoder,
  HEADER_LENGTH,
  Status,
} from '../../src/index.js';
import { DEMO, startDemoProvider } from '../helpers/demo.js';

let provider: DubboProvider | undefined;
afterEach(async () => {
  await provider?.close({ drainTimeoutMs: 100 });
  provider = undefined;
});

function raw(port: number): { socket: Socket; frames: Buffer[]; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  const d = new FrameDecoder();
  const frames: Buffer[] = [];
  socket.on('data', (b) => frames.push(...d.push(b)));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  return { socket, frames, closed };
}

const hello = (id: bigint) =>
  encodeRequest({
    id,
    service: DEMO,
    version: '1.0.0',
    method: 'sayHello',
    parameterTypes: 'Ljava/lang/String;',
    args: ['x'],
    attachments: { path: DEMO, interface: DEMO, version: '1.0.0' },
  });

describe('DubboProvider under hostile input', () => {
  it('drops a connection that sends non-Dubbo bytes', async () => {
    provider = await startDemoProvider('p');
    const c = raw(provider.port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.closed;
  });

  it('answers a well-framed request with a broken body with BAD_REQUEST, and keeps serving', async () => {
    provider = await startDemoProvider('p');
    const c = raw(provider.port);
    const broken = Buffer.from(hello(5n));
    broken[HEADER_LENGTH] = 0x40; // a reserved Hessian2 code where the version string should start
    c.socket.write(broken);
    c.socket.write(hello(6n));
    await expect.poll(() => c.frames.length).toBe(2);
    const [bad, good] = c.frames.map((f) => decodeResponse(f));
    expect(bad).toMatchObject({ id: 5n, status: Status.BAD_REQUEST });
    expect(good).toMatchObject({ id: 6n, status: Status.OK, value: 'hello x from p' });
    c.socket.destroy();
  });

  it('survives a seeded storm of mutated frames and still serves a normal consumer', async () => {
    provider = await startDemoProvider('p');
    let seed = 0x1234;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let conn = 0; conn < 20; conn++) {
      const c = raw(provider.port);
      for (let i = 0; i < 20; i++) {
        const f = Buffer.from(hello(BigInt(i)));
        for (let k = 0; k < 3; k++)
          f[HEADER_LENGTH + Math.floor(rnd() * (f.length - HEADER_LENGTH))] = Math.floor(rnd() * 256);
        c.socket.write(f);
      }
      c.socket.end();
    }
    const consumer = new DubboConsumer({ providers: [{ host: '127.0.0.1', port: provider.port }] });
    try {
      await expect(
        consumer.invoke({
          service: DEMO,
          version: '1.0.0',
          method: 'sayHello',
          parameterTypes: ['java.lang.String'],
          args: ['ok'],
        }),
      ).resolves.toBe('hello ok from p');
    } finally {
      consumer.close();
    }
  });

  it('does not answer one-way requests', async () => {
    provider = await startDemoProvider('p');
    const c = raw(provider.port);
    c.socket.write(
      encodeRequest({
        ...{ id: 1n, service: DEMO, version: '1.0.0', method: 'sayHello' },
        parameterTypes: 'Ljava/lang/String;',
        args: ['x'],
        twoWay: false,
        attachments: {},
      }),
    );
    c.socket.write(hello(2n));
    await expect.poll(() => c.frames.length).toBe(1);
    expect(classifyFrame(c.frames[0]!).header.requestId).toBe(2n);
    c.socket.destroy();
  });
});
