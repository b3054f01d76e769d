// One downstream (consumer) Dubbo connection: framing, heartbeats answered here, calls handed to the
// filter, responses written back, and the drain protocol (READONLY, then close once idle).
import type net from 'node:net';
import {
  classifyFrame,
  encodeHeartbeatResponse,
  encodeReadonlyEvent,
  FrameDecoder,
} from '@strait/dubbo/codec';
import { corkedWrite, frameClass } from './codec.js';

/** Bytes queued towards a consumer past which we stop reading its calls until the queue drains. */
export const WRITE_HIGH_WATER = 4 * 1024 * 1024;

export interface DownstreamHandler {
  /** A call (one-way or two-way request, not an event). The frame is ours to rewrite and forward. */
  call(conn: DubboDownstream, frame: Buffer): void;
  /** Bad magic, a length over the limit, or an undecodable event: the connection is being closed. */
  protocolError(conn: DubboDownstream, err: unknown): void;
  /**
   * Events the peer sent (heartbeats answered here), "response" for a stray response frame (dropped), or
   * "paused" when reading stops for backpressure.
   */
  event(conn: DubboDownstream, kind: string): void;
  closed(conn: DubboDownstream): void;
}

export interface DownstreamOptions {
  maxBodyLength?: number;
  /** After READONLY, a connection with nothing in flight counts as idle after this long without a call. */
  drainQuietMs: number;
}

export class DubboDownstream {
  private readonly decoder: FrameDecoder;
  /** Calls forwarded and not yet answered (maintained by the filter through begin/end). */
  inFlight = 0;
  draining = false;
  closedByProxy = false;
  private lastCallAt = Date.now();
  private readPaused = false;
  private quietTimer: NodeJS.Timeout | undefined;
  private nextEventId = 1n;

  constructor(
    readonly socket: net.Socket,
    private readonly handler: DownstreamHandler,
    private readonly options: DownstreamOptions,
  ) {
    this.decoder = new FrameDecoder(
      options.maxBodyLength !== undefined ? { maxBodyLength: options.maxBodyLength } : {},
    );
  }

  /** Starts reading: replays the sniffed bytes, then the socket. */
  start(peeked: Buffer): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on('data', (c: Buffer) => this.onData(c));
    s.on('error', () => {});
    s.once('close', () => {
      if (this.quietTimer) clearTimeout(this.quietTimer);
      this.handler.closed(this);
    });
    if (peeked.length > 0) this.onData(peeked);
    s.resume();
  }

  get open(): boolean {
    return !this.socket.destroyed;
  }

  write(frame: Uint8Array): void {
    if (this.socket.destroyed) return;
    corkedWrite(this.socket, frame);
    // A consumer that does not read its answers stops being read from: no new calls pile up behind it.
    if (!this.readPaused && this.socket.writableLength > WRITE_HIGH_WATER) {
      this.readPaused = true;
      this.handler.event(this, 'paused');
      this.socket.pause();
      this.socket.once('drain', () => {
        this.readPaused = false;
        if (!this.socket.destroyed) this.socket.resume();
      });
    }
  }

  begin(): void {
    this.inFlight++;
  }

  end(): void {
    this.inFlight--;
    if (this.draining) this.maybeCloseIdle();
  }

  /** Sends READONLY so the consumer stops sending calls here; closes once idle (in-flight calls finish). */
  drain(): boolean {
    if (this.draining || this.socket.destroyed) return false;
    this.draining = true;
    this.write(encodeReadonlyEvent(this.nextEventId++));
    this.maybeCloseIdle();
    return true;
  }

  close(): void {
    this.closedByProxy = true;
    this.socket.destroy();
  }

  private maybeCloseIdle(): void {
    if (this.inFlight > 0 || this.socket.destroyed) return;
    // "Nothing in flight" alone would lose a call already on the wire when READONLY left: also wait for a
    // quiet period without calls (the provider SDK's rule).
    const wait = this.lastCallAt + this.options.drainQuietMs - Date.now();
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(
      () => {
        this.quietTimer = undefined;
        if (this.inFlight === 0 && Date.now() - this.lastCallAt >= this.options.drainQuietMs) {
          this.closedByProxy = true;
          this.socket.end();
        } else this.maybeCloseIdle();
      },
      Math.max(0, wait),
    );
    this.quietTimer.unref();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const f of frames) {
      if (this.socket.destroyed) return;
      this.onFrame(f);
    }
  }

  private onFrame(frame: Buffer): void {
    const cls = frameClass(frame);
    if (cls === 'call') {
      this.lastCallAt = Date.now();
      this.handler.call(this, frame);
      return;
    }
    if (cls === 'response') {
      // We never send calls downstream: nothing to match it to.
      this.handler.event(this, 'response');
      return;
    }
    let kind: string;
    let id: bigint;
    try {
      const c = classifyFrame(frame);
      kind = c.kind;
      id = c.header.requestId;
    } catch (err) {
      this.fail(err);
      return;
    }
    if (kind === 'heartbeat-request') this.write(encodeHeartbeatResponse(id));
    this.handler.event(this, kind);
  }

  private fail(err: unknown): void {
    this.decoder.reset();
    this.handler.protocolError(this, err);
    this.close();
  }
}
