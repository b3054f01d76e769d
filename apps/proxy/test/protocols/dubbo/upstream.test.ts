// The upstream Dubbo pool against a raw provider socket: id rewriting and mapping back (answers out of
// order), provider heartbeats answered, READONLY retiring a connection, connect failures and resets.
import net from 'node:net';
import {
  classifyFrame,
  decodeResponse,
  encodeHeartbeatRequest,
  encodeReadonlyEvent,
  encodeRequest,
  encodeResponse,
  FrameDecoder,
  peekRequest,
  readRequestId,
} from '@strait/dubbo/codec';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DubboPool,
  type DubboPoolOptions,
  type UpstreamResult,
} from '../../../src/protocols/dubbo/upstream.js';
import { StatsStore } from '../../../src/stats/store.js';
import { CLUSTER_STATS } from '../../../src/upstream/stats.js';

interface RawProvider {
  port: number;
  sockets: net.Socket[];
  /** Every frame received, with the connection index it came on. */
  frames: { conn: number; frame: Buffer }[];
  close(): Promise<void>;
}

/** A provider that hands each frame to `onFrame` (default: answer every call with its method name). */
async function rawProvider(onFrame?: (s: net.Socket, f: Buffer) => void): Promise<RawProvider> {
  const p: RawProvider = {
    port: 0,
    sockets: [],
    frames: [],
    close: async () => {
      for (const s of p.sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = net.createServer((s) => {
    const idx = p.sockets.push(s) - 1;
    const dec = new FrameDecoder();
    s.on('error', () => {});
    s.on('data', (c: Buffer) => {
      for (const f of dec.push(c)) {
        p.frames.push({ conn: idx, frame: Buffer.from(f) });
        if (onFrame) onFrame(s, f);
        else if (classifyFrame(f).kind === 'request' && (f[2]! & 0x40) !== 0) {
          s.write(encodeResponse({ id: readRequestId(f), value: peekRequest(f).method }));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  p.port = (server.address() as net.AddressInfo).port;
  return p;
}

const call = (method: string, id = 5n, twoWay = true) =>
  encodeRequest({ id, twoWay, service: 'S', method, parameterTypes: '', args: [], attachments: {} });

function pool(port: number, events: string[] = [], extra: Partial<DubboPoolOptions> = {}): DubboPool {
  const stats = new StatsStore().scope('cluster.t.', 'cluster', CLUSTER_STATS);
  return new DubboPool({
    host: '127.0.0.1',
    port,
    connectTimeoutMs: 1000,
    maxConnections: 4,
    maxPending: 100,
    idleTimeoutMs: 0,
    heartbeatIntervalMs: 60_000,
    stats,
    onConnection: () => {},
    onEvent: (k) => events.push(k),
    ...extra,
  });
}

const send = (p: DubboPool, frame: Buffer) =>
  new Promise<UpstreamResult>((resolve) => p.send(frame, true, resolve));

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('DubboPool', () => {
  it('gives colliding downstream ids distinct upstream ids and maps out-of-order answers back', async () => {
    const held: Buffer[] = [];
    const prov = await rawProvider((s, f) => {
      held.push(Buffer.from(f));
      if (held.length === 3)
        for (const h of held.reverse())
          s.write(encodeResponse({ id: readRequestId(h), value: peekRequest(h).method }));
    });
    const p = pool(prov.port);
    cleanup.push(
      () => p.close(false),
      () => prov.close(),
    );
    // Three downstreams all used id 5.
    const results = await Promise.all(['a', 'b', 'c'].map((m) => send(p, call(m, 5n))));
    expect(results.map((r) => (r.kind === 'response' ? decodeResponse(r.frame).value : r.reason))).toEqual([
      'a',
      'b',
      'c',
    ]);
    const ids = prov.frames.map((f) => readRequestId(f.frame));
    expect(new Set(ids).size).toBe(3);
    expect(new Set(prov.frames.map((f) => f.conn))).toEqual(new Set([0]));
  });

  it('answers a provider heartbeat with the same id', async () => {
    let hbAnswer: bigint | undefined;
    const prov = await rawProvider((s, f) => {
      const c = classifyFrame(f);
      if (c.kind === 'request') {
        s.write(encodeHeartbeatRequest(99n));
        s.write(encodeResponse({ id: c.header.requestId, value: 'ok' }));
      }
      if (c.kind === 'heartbeat-response') hbAnswer = c.header.requestId;
    });
    const events: string[] = [];
    const p = pool(prov.port, events);
    cleanup.push(
      () => p.close(false),
      () => prov.close(),
    );
    await send(p, call('x'));
    await new Promise((r) => setTimeout(r, 100));
    expect(hbAnswer).toBe(99n);
    expect(events).toContain('heartbeat');
  });

  it('after READONLY sends nothing new on that connection, finishes its call, then closes it', async () => {
    const firstCall: { s?: net.Socket; f?: Buffer } = {};
    const prov = await rawProvider((s, f) => {
      if (classifyFrame(f).kind !== 'request') return;
      if (!firstCall.f) {
        firstCall.s = s;
        firstCall.f = Buffer.from(f);
        s.write(encodeReadonlyEvent(1n)); // shutting down: answer later
        return;
      }
      s.write(encodeResponse({ id: readRequestId(f), value: 'second' }));
    });
    const events: string[] = [];
    const p = pool(prov.port, events);
    cleanup.push(
      () => p.close(false),
      () => prov.close(),
    );
    const first = send(p, call('first'));
    await new Promise((r) => setTimeout(r, 100));
    const second = await send(p, call('second'));
    expect(second.kind === 'response' && decodeResponse(second.frame).value).toBe('second');
    expect(events).toContain('readonly');
    // The second call went on a new connection.
    expect(prov.frames.map((f) => f.conn)).toEqual([0, 1]);
    const closed = new Promise<void>((r) => firstCall.s!.once('close', () => r()));
    firstCall.s!.write(encodeResponse({ id: readRequestId(firstCall.f!), value: 'first' }));
    const r1 = await first;
    expect(r1.kind === 'response' && decodeResponse(r1.frame).value).toBe('first');
    await closed; // retired once its last call was answered
  });

  it('reports connect failures as not sent, and a provider closing with calls in flight as reset', async () => {
    const dead = await rawProvider();
    const deadPort = dead.port;
    await dead.close();
    const p1 = pool(deadPort);
    expect(await send(p1, call('x'))).toEqual({ kind: 'failure', reason: 'connect-failure', sent: false });
    const prov = await rawProvider((s) => s.destroy());
    const p2 = pool(prov.port);
    cleanup.push(
      () => p2.close(false),
      () => prov.close(),
    );
    expect(await send(p2, call('x'))).toEqual({ kind: 'failure', reason: 'reset', sent: true });
  });

  it('closes a provider connection that breaks framing; its calls fail as reset', async () => {
    const prov = await rawProvider((s) => s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const events: string[] = [];
    const p = pool(prov.port, events);
    cleanup.push(
      () => p.close(false),
      () => prov.close(),
    );
    expect(await send(p, call('x'))).toEqual({ kind: 'failure', reason: 'reset', sent: true });
    expect(events).toEqual(['decoding-error']);
  });

  it('retires a connection after max_requests_per_connection calls', async () => {
    const prov = await rawProvider();
    const p = pool(prov.port, [], { maxRequestsPerConnection: 2 });
    cleanup.push(
      () => p.close(false),
      () => prov.close(),
    );
    for (const m of ['a', 'b', 'c']) expect((await send(p, call(m))).kind).toBe('response');
    expect(prov.frames.map((f) => f.conn)).toEqual([0, 0, 1]);
    await new Promise<void>((r) =>
      prov.sockets[0]!.destroyed ? r() : prov.sockets[0]!.once('close', () => r()),
    );
  });

  it('refuses calls past max_pending while connecting', async () => {
    const prov = await rawProvider();
    const p = pool(prov.port, [], { maxPending: 1 });
    cleanup.push(
      () => p.close(false),
      () => prov.close(),
    );
    const a = send(p, call('a'));
    expect(await send(p, call('b'))).toEqual({ kind: 'failure', reason: 'overflow', sent: false });
    expect((await a).kind).toBe('response');
  });
});
