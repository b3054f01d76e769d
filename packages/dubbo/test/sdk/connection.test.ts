// DubboConnection against a scripted raw-TCP provider, to control exactly which frames arrive when.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyFrame,
  DubboConnection,
  DubboConnectionClosedError,
  DubboReadonlyError,
  encodeHeartbeatRequest,
  encodeHeartbeatResponse,
  encodeReadonlyEvent,
  encodeRequest,
  encodeResponse,
  FrameDecoder,
  peekRequest,
} from '../../src/index.js';

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** A server that hands every frame it receives, and the socket, to `onFrame`. */
async function scripted(onFrame: (frame: Buffer, socket: Socket) => void): Promise<number> {
  server = createServer((socket) => {
    const d = new FrameDecoder();
    socket.on('data', (b) => {
      for (const f of d.push(b)) onFrame(f, socket);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server!.address() as { port: number }).port;
}

const build = (id: bigint) =>
  encodeRequest({ id, service: 's.S', method: 'm', parameterTypes: '', attachments: {} });

describe('DubboConnection', () => {
  it('after READONLY: refuses new requests, answers the ones in flight, then closes', async () => {
    let held: { id: bigint; socket: Socket } | undefined;
    const port = await scripted((frame, socket) => {
      if (classifyFrame(frame).kind !== 'request') return;
      held = { id: peekRequest(frame).id, socket };
      socket.write(encodeReadonlyEvent(0n));
    });
    const conn = await DubboConnection.connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((r) => conn.on('close', () => r()));
    const inFlight = conn.request(build, 2000);
    await new Promise<void>((r) => conn.on('readonly', () => r()));
    expect(conn.available).toBe(false);
    await expect(conn.request(build, 2000)).rejects.toBeInstanceOf(DubboReadonlyError);
    held!.socket.write(encodeResponse({ id: held!.id, value: 'late but fine' }));
    await expect(inFlight).resolves.toMatchObject({ value: 'late but fine' });
    await closed;
    expect(conn.closed).toBe(true);
  });

  it('answers a provider heartbeat with a heartbeat response of the same id', async () => {
    let answered: (id: bigint) => void = () => {};
    const answer = new Promise<bigint>((r) => {
      answered = r;
    });
    const port = await scripted((frame, socket) => {
      const c = classifyFrame(frame);
      if (c.kind === 'request') socket.write(encodeHeartbeatRequest(99n));
      if (c.kind === 'heartbeat-response') answered(c.header.requestId);
    });
    const conn = await DubboConnection.connect({ host: '127.0.0.1', port });
    void conn.request(build, 1000).catch(() => {});
    expect(await answer).toBe(99n);
    conn.close();
  });

  it('fails calls in flight with DUBBO_ERR_CONNECTION_CLOSED when the peer goes away', async () => {
    const port = await scripted((_frame, socket) => socket.destroy());
    const conn = await DubboConnection.connect({ host: '127.0.0.1', port });
    await expect(conn.request(build, 2000)).rejects.toBeInstanceOf(DubboConnectionClosedError);
  });

  it('sends heartbeats itself when idle', async () => {
    const seen: string[] = [];
    const port = await scripted((frame, socket) => {
      const c = classifyFrame(frame);
      seen.push(c.kind);
      if (c.kind === 'heartbeat-request') socket.write(encodeHeartbeatResponse(c.header.requestId));
    });
    const conn = await DubboConnection.connect({ host: '127.0.0.1', port }, { heartbeatIntervalMs: 40 });
    await new Promise((r) => setTimeout(r, 250));
    expect(seen).toContain('heartbeat-request');
    expect(conn.closed).toBe(false);
    conn.close();
  });
});
