// The downstream Dubbo connection over a real socket pair: frames split at every byte, heartbeats
// answered here, READONLY on drain and a close once idle, a clean close on broken framing.
import net from 'node:net';
import { classifyFrame, encodeHeartbeatRequest, encodeRequest, FrameDecoder } from '@strait/dubbo/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { type DownstreamHandler, DubboDownstream } from '../../../src/protocols/dubbo/downstream.js';

interface Pair {
  client: net.Socket;
  conn: DubboDownstream;
  calls: Buffer[];
  events: string[];
  errors: unknown[];
  received: string[];
  closed: Promise<void>;
}

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function pair(drainQuietMs = 50): Promise<Pair> {
  const calls: Buffer[] = [];
  const events: string[] = [];
  const errors: unknown[] = [];
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => (onClosed = r));
  const handler: DownstreamHandler = {
    call: (_c, f) => calls.push(Buffer.from(f)),
    event: (_c, k) => events.push(k),
    protocolError: (_c, e) => errors.push(e),
    closed: () => onClosed(),
  };
  let conn!: DubboDownstream;
  const server = net.createServer((s) => {
    conn = new DubboDownstream(s, handler, { drainQuietMs });
    conn.start(Buffer.alloc(0));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  await new Promise((r) => setTimeout(r, 20));
  const received: string[] = [];
  const dec = new FrameDecoder();
  client.on('data', (c: Buffer) => {
    try {
      for (const f of dec.push(c)) received.push(classifyFrame(f).kind);
    } catch {
      received.push('not-dubbo'); // the backpressure test writes raw bytes
    }
  });
  client.on('error', () => {});
  return { client, conn, calls, events, errors, received, closed };
}

const req = (id: bigint) =>
  encodeRequest({ id, service: 'S', method: 'm', parameterTypes: '', args: [], attachments: {} });

describe('DubboDownstream', () => {
  it('reassembles frames written one byte at a time and answers heartbeats itself', async () => {
    const p = await pair();
    const bytes = Buffer.concat([req(1n), encodeHeartbeatRequest(7n), req(2n)]);
    for (const b of bytes) {
      p.client.write(Buffer.of(b));
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(p.calls.map((f) => f.readBigInt64BE(4))).toEqual([1n, 2n]);
    expect(p.events).toEqual(['heartbeat-request']);
    expect(p.received).toEqual(['heartbeat-response']);
    p.client.destroy();
  });

  it('drain sends READONLY and closes after the quiet period once nothing is in flight', async () => {
    const p = await pair(80);
    p.client.write(req(1n));
    await new Promise((r) => setTimeout(r, 20));
    p.conn.begin();
    const t0 = Date.now();
    expect(p.conn.drain()).toBe(true);
    expect(p.conn.drain()).toBe(false);
    await new Promise((r) => setTimeout(r, 150));
    expect(p.conn.open).toBe(true); // a call is still in flight
    p.conn.end();
    await new Promise<void>((r) => p.client.once('end', () => r()));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(80);
    expect(p.received).toEqual(['readonly']);
    p.client.destroy();
    await p.closed;
  });

  it('stops reading calls from a consumer that does not read its answers', async () => {
    const p = await pair();
    p.client.pause();
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 8; i++) p.conn.write(big);
    expect(p.events).toContain('paused');
    expect(p.conn.socket.isPaused()).toBe(true);
    p.client.resume();
    await new Promise<void>((r) => p.conn.socket.once('drain', () => r()));
    await new Promise((r) => setImmediate(r));
    expect(p.conn.socket.isPaused()).toBe(false);
    p.client.destroy();
  });

  it('closes cleanly on a bad magic or an oversized length', async () => {
    for (const bad of [
      Buffer.from('hello world, not dubbo'),
      Buffer.from('dabbc2000000000000000001ffffffff', 'hex'),
    ]) {
      const p = await pair();
      p.client.write(bad);
      await p.closed;
      expect(p.errors).toHaveLength(1);
      expect(p.calls).toHaveLength(0);
    }
  });
});
