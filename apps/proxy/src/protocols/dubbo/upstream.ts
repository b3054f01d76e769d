// Upstream (provider) side: per host, a pool of multiplexed Dubbo connections. Calls from any downstream
// share a connection; each gets a fresh id on it (writeRequestId, the body is never touched) and the
// answer is matched back by that id. Heartbeats from the provider are answered here, and ours go out when
// a connection is quiet. A provider's READONLY retires its connection: no new calls, in-flight ones
// finish, then it closes, and the next call opens another connection.
import type net from 'node:net';
import {
  classifyFrame,
  encodeHeartbeatRequest,
  encodeHeartbeatResponse,
  FrameDecoder,
  readRequestId,
  writeRequestId,
} from '@strait/dubbo/codec';
import type { UpstreamTlsModel } from '../../model/upstream-tls.js';
import type { ClusterStats, PoolLike } from '../../upstream/cluster.js';
import { connectUpstream } from '../../upstream/transport.js';
import { corkedWrite, frameClass } from './codec.js';

export type UpstreamFailure = 'connect-failure' | 'reset' | 'overflow';

export type UpstreamResult =
  | { kind: 'response'; frame: Buffer }
  /** `sent`: the call reached the provider's socket (not safe to retry elsewhere). */
  | { kind: 'failure'; reason: UpstreamFailure; sent: boolean };

export type UpstreamCallback = (r: UpstreamResult) => void;

export interface DubboPoolOptions {
  /** TLS origination (the cluster's transport socket); undefined = plaintext. */
  tls?: UpstreamTlsModel | undefined;
  host: string;
  port: number;
  connectTimeoutMs: number;
  maxConnections: number;
  /** Calls waiting for a connection to open (the cluster's max_pending_requests). */
  maxPending: number;
  /** Close a connection with no call in flight after this long; 0 = never. */
  idleTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Retire a connection after this many calls (the cluster's max_requests_per_connection); 0 = never. */
  maxRequestsPerConnection?: number;
  maxBodyLength?: number;
  stats: ClusterStats;
  onConnection(delta: number): void;
  onEvent(kind: 'heartbeat' | 'readonly' | 'decoding-error'): void;
}

/** What a caller keeps to abandon a call (timeout, downstream gone); a late answer is dropped. */
export interface UpstreamTicket {
  cancel(): void;
}

interface Waiting {
  frame: Buffer;
  twoWay: boolean;
  cb: UpstreamCallback;
  cancelled: boolean;
  /** Set once the connection opened and the call went out: cancelling moves there. */
  sent?: UpstreamTicket;
}

const MAX_ID = 0x7fffffffffffffffn;

class UpstreamConnection {
  readonly socket: net.Socket;
  private readonly decoder: FrameDecoder;
  readonly pending = new Map<bigint, UpstreamCallback>();
  private nextId = 1n;
  connected = false;
  closed = false;
  readonly = false;
  private lastRead = Date.now();
  private lastWrite = Date.now();
  private lastActive = Date.now();
  private heartbeatSentAt = 0;
  private calls = 0;
  private lastTick = Date.now();
  private readonly tickEvery: number;
  private readonly timer: NodeJS.Timeout;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: DubboPool,
    private readonly o: DubboPoolOptions,
  ) {
    this.decoder = new FrameDecoder(o.maxBodyLength !== undefined ? { maxBodyLength: o.maxBodyLength } : {});
    const { socket, readyEvent } = connectUpstream({
      host: o.host,
      port: o.port,
      tls: o.tls,
      stats: o.stats,
    });
    this.socket = socket;
    o.stats.upstream_cx_total.inc();
    o.stats.upstream_cx_active.inc();
    o.onConnection(1);
    this.connectTimer = setTimeout(() => {
      o.stats.upstream_cx_connect_timeout.inc();
      this.socket.destroy(new Error('connect timeout'));
    }, o.connectTimeoutMs);
    this.socket.once(readyEvent, () => {
      clearTimeout(this.connectTimer);
      this.connected = true;
      this.lastRead = this.lastWrite = Date.now();
      this.pool.onConnected(this);
    });
    this.socket.on('data', (c: Buffer) => this.onData(c));
    this.socket.on('error', () => {});
    this.socket.once('close', () => this.onClose());
    this.tickEvery = Math.max(10, Math.floor(o.heartbeatIntervalMs / 2));
    this.timer = setInterval(() => this.tick(), this.tickEvery);
    this.timer.unref();
  }

  /** Can take a new call now or once connected. */
  get usable(): boolean {
    return !this.closed && !this.readonly;
  }

  send(frame: Buffer, twoWay: boolean, cb: UpstreamCallback): bigint | undefined {
    this.lastActive = Date.now();
    const max = this.o.maxRequestsPerConnection ?? 0;
    // Retired like a READONLY connection: no new calls, closes once its answers are in.
    if (max > 0 && ++this.calls >= max) this.readonly = true;
    if (!twoWay) {
      // The provider never answers a one-way call: an id, but nothing to wait for.
      writeRequestId(frame, this.allocId());
      this.write(frame);
      this.maybeRetire();
      return undefined;
    }
    const id = this.allocId();
    writeRequestId(frame, id);
    this.pending.set(id, cb);
    this.write(frame);
    return id;
  }

  forget(id: bigint): void {
    this.pending.delete(id);
    this.maybeRetire();
  }

  private allocId(): bigint {
    const id = this.nextId;
    this.nextId = id === MAX_ID ? 1n : id + 1n;
    return id;
  }

  private write(b: Uint8Array): void {
    this.lastWrite = Date.now();
    corkedWrite(this.socket, b);
  }

  private tick(): void {
    if (!this.connected || this.closed) return;
    const now = Date.now();
    const hb = this.o.heartbeatIntervalMs;
    // A late tick means our event loop stalled, not the provider: unread data may be waiting behind us.
    const late = now - this.lastTick > this.tickEvery * 2;
    this.lastTick = now;
    if (!late && this.heartbeatSentAt > this.lastRead && now - this.heartbeatSentAt > hb * 2) {
      // Dubbo's rule (three silent periods): our heartbeat went unanswered, the provider is gone.
      this.socket.destroy();
      return;
    }
    if (this.pending.size === 0 && this.o.idleTimeoutMs > 0 && now - this.lastActive > this.o.idleTimeoutMs) {
      this.socket.end();
      return;
    }
    if (this.heartbeatSentAt <= this.lastRead && (now - this.lastRead > hb || now - this.lastWrite > hb)) {
      this.heartbeatSentAt = now;
      this.write(encodeHeartbeatRequest(this.allocId()));
    }
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch {
      this.o.onEvent('decoding-error');
      this.socket.destroy();
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(frame: Buffer): void {
    const cls = frameClass(frame);
    if (cls === 'response') {
      const id = readRequestId(frame);
      const cb = this.pending.get(id);
      if (!cb) return; // answer to a call that timed out or was abandoned
      this.pending.delete(id);
      this.lastActive = Date.now();
      cb({ kind: 'response', frame });
      this.maybeRetire();
      return;
    }
    if (cls === 'call') return; // providers do not call consumers in Dubbo2
    let kind: string;
    let id: bigint;
    try {
      const c = classifyFrame(frame);
      kind = c.kind;
      id = c.header.requestId;
    } catch {
      this.o.onEvent('decoding-error');
      return;
    }
    if (kind === 'heartbeat-request') {
      this.write(encodeHeartbeatResponse(id));
      this.o.onEvent('heartbeat');
    } else if (kind === 'readonly' && !this.readonly) {
      this.readonly = true;
      this.o.onEvent('readonly');
      this.pool.onReadonly(this);
      this.maybeRetire();
    } else if (kind === 'writeable') {
      this.readonly = false;
    }
  }

  private maybeRetire(): void {
    if (this.readonly && this.pending.size === 0 && !this.closed) this.socket.end();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    clearInterval(this.timer);
    this.o.stats.upstream_cx_active.dec();
    this.o.stats.upstream_cx_destroy.inc();
    this.o.onConnection(-1);
    if (!this.connected) this.o.stats.upstream_cx_connect_fail.inc();
    const failed = [...this.pending.values()];
    this.pending.clear();
    this.pool.onClosed(this);
    for (const cb of failed) cb({ kind: 'failure', reason: 'reset', sent: true });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class DubboPool implements PoolLike {
  private conns: UpstreamConnection[] = [];
  private readonly waiting: Waiting[] = [];
  private closing = false;

  constructor(private readonly o: DubboPoolOptions) {}

  get connectionCount(): number {
    return this.conns.length;
  }

  /** Sends a call (its id is rewritten in place); `cb` gets the response or a failure exactly once. */
  send(frame: Buffer, twoWay: boolean, cb: UpstreamCallback): UpstreamTicket {
    if (this.closing) {
      cb({ kind: 'failure', reason: 'connect-failure', sent: false });
      return { cancel() {} };
    }
    const ready = this.conns.find((c) => c.usable && c.connected);
    if (ready) return this.sendOn(ready, frame, twoWay, cb);
    if (!this.conns.some((c) => c.usable)) {
      if (this.conns.length >= this.o.maxConnections) {
        this.o.stats.upstream_cx_overflow.inc();
        cb({ kind: 'failure', reason: 'overflow', sent: false });
        return { cancel() {} };
      }
      this.conns.push(new UpstreamConnection(this, this.o));
    }
    if (this.waiting.length >= this.o.maxPending) {
      this.o.stats.upstream_rq_pending_overflow.inc();
      cb({ kind: 'failure', reason: 'overflow', sent: false });
      return { cancel() {} };
    }
    const w: Waiting = { frame, twoWay, cb, cancelled: false };
    this.waiting.push(w);
    this.o.stats.upstream_rq_pending_active.inc();
    return {
      cancel: () => {
        w.cancelled = true;
        w.sent?.cancel();
      },
    };
  }

  private sendOn(
    c: UpstreamConnection,
    frame: Buffer,
    twoWay: boolean,
    cb: UpstreamCallback,
  ): UpstreamTicket {
    const id = c.send(frame, twoWay, cb);
    // One-way calls have nothing to wait for or cancel.
    if (id === undefined) return { cancel() {} };
    return { cancel: () => c.forget(id) };
  }

  onConnected(c: UpstreamConnection): void {
    this.flush(c);
  }

  private flush(c: UpstreamConnection): void {
    while (this.waiting.length > 0 && c.usable) {
      const w = this.waiting.shift()!;
      this.o.stats.upstream_rq_pending_active.dec();
      if (w.cancelled) continue;
      w.sent = this.sendOn(c, w.frame, w.twoWay, w.cb);
    }
  }

  onReadonly(_c: UpstreamConnection): void {
    // Calls waiting for this connection go to a new one.
    if (this.waiting.length > 0 && !this.conns.some((x) => x.usable)) {
      if (this.conns.length < this.o.maxConnections) this.conns.push(new UpstreamConnection(this, this.o));
    }
  }

  onClosed(c: UpstreamConnection): void {
    this.conns = this.conns.filter((x) => x !== c);
    if (!c.connected || !this.conns.some((x) => x.usable)) {
      // Nothing was sent for the waiting calls: the caller may try another host.
      const waiting = this.waiting.splice(0);
      this.o.stats.upstream_rq_pending_active.dec(waiting.length);
      for (const w of waiting)
        if (!w.cancelled) w.cb({ kind: 'failure', reason: 'connect-failure', sent: false });
    }
  }

  /** graceful: in-flight calls finish and connections close when idle; else everything is destroyed. */
  close(graceful: boolean): void {
    this.closing = true;
    for (const c of [...this.conns]) {
      if (!graceful || c.pending.size === 0) c.destroy();
      else c.readonly = true;
    }
  }
}
