// One consumer-side TCP connection to a provider: many requests in flight at once, told apart by request id
// (Dubbo's multiplexing), each with its own timeout; heartbeats when idle; and the READONLY event, after which
// the connection takes no new requests and closes itself once the last answer is in.
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { encodeHeartbeatRequest, encodeHeartbeatResponse } from '../codec/event.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import { classifyFrame } from '../codec/message.js';
import { type DecodedResponse, decodeResponse } from '../codec/response.js';
import { DubboConnectionClosedError, DubboError, DubboReadonlyError, DubboTimeoutError } from '../errors.js';

export interface ProviderAddress {
  host: string;
  port: number;
}

export function addressKey(a: ProviderAddress): string {
  return `${a.host}:${a.port}`;
}

export interface ConnectionOptions {
  connectTimeoutMs?: number;
  /** Send a heartbeat after this long without traffic; close after three silent intervals. Default 60 s (Dubbo's). */
  heartbeatIntervalMs?: number;
  maxBodyLength?: number;
}

interface Pending {
  resolve: (r: DecodedResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface DubboConnectionEvents {
  readonly: [];
  close: [];
}

export class DubboConnection extends EventEmitter<DubboConnectionEvents> {
  readonly address: ProviderAddress;
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<bigint, Pending>();
  private nextId = 1n;
  private lastRead = Date.now();
  private lastWrite = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private _readonly = false;
  private _closed = false;
  private draining = false;

  private constructor(address: ProviderAddress, socket: Socket, options: ConnectionOptions) {
    super();
    this.address = address;
    this.socket = socket;
    this.decoder = new FrameDecoder(
      options.maxBodyLength !== undefined ? { maxBodyLength: options.maxBodyLength } : {},
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.onClose());
    const interval = options.heartbeatIntervalMs ?? 60_000;
    this.heartbeat = setInterval(() => this.tick(interval), Math.max(10, Math.floor(interval / 2)));
    this.heartbeat.unref();
  }

  static connect(address: ProviderAddress, options: ConnectionOptions = {}): Promise<DubboConnection> {
    const timeoutMs = options.connectTimeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address.host, port: address.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DubboTimeoutError(`connect to ${addressKey(address)}`, timeoutMs));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(
          new DubboConnectionClosedError(`connect to ${addressKey(address)}: ${err.message}`, { cause: err }),
        );
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new DubboConnection(address, socket, options));
      });
    });
  }

  /** True once the provider sent READONLY: no new requests go out on this connection. */
  get readonly(): boolean {
    return this._readonly;
  }

  get closed(): boolean {
    return this._closed;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Usable for a new request. */
  get available(): boolean {
    return !this._closed && !this._readonly && !this.draining;
  }

  /**
   * Sends a request frame built for the id this connection assigns, and resolves with the decoded response.
   * One-way requests (`twoWay` false) resolve with undefined once written.
   */
  request(
    build: (id: bigint) => Buffer,
    timeoutMs: number,
    twoWay = true,
  ): Promise<DecodedResponse | undefined> {
    if (this._closed) return Promise.reject(new DubboConnectionClosedError(addressKey(this.address)));
    if (this._readonly || this.draining)
      return Promise.reject(new DubboReadonlyError(addressKey(this.address)));
    const id = this.nextId;
    this.nextId = this.nextId === 0x7fffffffffffffffn ? 1n : this.nextId + 1n;
    const frame = build(id);
    if (!twoWay) {
      this.write(frame);
      return Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DubboTimeoutError(`request ${id} to ${addressKey(this.address)}`, timeoutMs));
        this.maybeFinishReadonly();
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.write(frame);
    });
  }

  /** Takes no new requests and closes once those in flight are answered (or time out). */
  drain(): void {
    this.draining = true;
    this.maybeFinishReadonly();
  }

  close(): void {
    this.socket.destroy();
    this.onClose();
  }

  private write(frame: Buffer): void {
    this.lastWrite = Date.now();
    this.socket.write(frame);
  }

  private tick(interval: number): void {
    const now = Date.now();
    if (now - this.lastRead > interval * 3) {
      // Dubbo's reconnect rule: three heartbeat periods of silence means the peer is gone.
      this.close();
      return;
    }
    if (now - this.lastRead > interval || now - this.lastWrite > interval) {
      this.write(encodeHeartbeatRequest(this.nextId++));
    }
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch {
      this.close();
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame(frame: Buffer): void {
    let kind: string;
    let id: bigint;
    try {
      const c = classifyFrame(frame);
      kind = c.kind;
      id = c.header.requestId;
    } catch {
      return;
    }
    switch (kind) {
      case 'response': {
        const p = this.pending.get(id);
        if (p === undefined) return; // late answer to a timed-out request
        this.pending.delete(id);
        clearTimeout(p.timer);
        try {
          p.resolve(decodeResponse(frame));
        } catch (err) {
          p.reject(err instanceof DubboError ? err : new DubboConnectionClosedError(String(err)));
        }
        this.maybeFinishReadonly();
        return;
      }
      case 'heartbeat-request':
        this.write(encodeHeartbeatResponse(id));
        return;
      case 'readonly':
        if (!this._readonly) {
          this._readonly = true;
          this.emit('readonly');
          this.maybeFinishReadonly();
        }
        return;
      case 'writeable':
        this._readonly = false;
        return;
      default:
        return;
    }
  }

  /** A read-only or draining connection has no future: close it when nothing is waiting on it any more. */
  private maybeFinishReadonly(): void {
    if ((this._readonly || this.draining) && this.pending.size === 0) this.close();
  }

  private onClose(): void {
    if (this._closed) return;
    this._closed = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new DubboConnectionClosedError(`${addressKey(this.address)} with the request in flight`));
    }
    this.pending.clear();
    this.emit('close');
  }
}
