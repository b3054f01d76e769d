// HTTP/1.1 downstream codec: node:http's parser and writer behind DownstreamExchange. The server is fed
// sockets by the listener after protocol sniffing (server.emit('connection') then the peeked bytes).
import type http from 'node:http';
import type net from 'node:net';
import { cleanHeaders, type DownstreamExchange, type Headers, type RequestHead } from '../types.js';

export class Http1Downstream implements DownstreamExchange {
  readonly protocol = 'HTTP/1.1' as const;
  readonly head: RequestHead;
  bytesReceived = 0;
  bytesSent = 0;
  /** Set while the listener drains: the response carries Connection: close. */
  closeConnection = false;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
  ) {
    const authority = req.headers.host ?? '';
    this.head = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      authority,
      scheme: 'http',
      headers: cleanHeaders(req.headers),
    };
    const te = req.headers['te'];
    if (typeof te === 'string' && /(^|,)\s*trailers\s*(,|$)/i.test(te)) this.head.headers['te'] = 'trailers';
    req.on('data', (c: Buffer) => {
      this.bytesReceived += c.length;
    });
    // Remember the end: a filter that pauses (fault delay) may subscribe after it happened.
    req.on('end', () => {
      this.ended = { trailers: req.rawTrailers.length ? cleanHeaders(req.trailers) : undefined };
      for (const cb of this.endCbs.splice(0)) cb(this.ended.trailers);
    });
  }

  private ended: { trailers: Headers | undefined } | undefined;
  private readonly endCbs: ((t: Headers | undefined) => void)[] = [];

  get remoteAddress(): string {
    return this.req.socket.remoteAddress ?? '';
  }
  get localAddress(): string {
    return this.req.socket.localAddress ?? '';
  }
  get localPort(): number {
    return this.req.socket.localPort ?? 0;
  }
  get socket(): net.Socket {
    return this.req.socket;
  }
  get headersSent(): boolean {
    return this.res.headersSent;
  }

  onData(cb: (chunk: Buffer) => void): void {
    this.req.on('data', cb);
  }
  onEnd(cb: (trailers: Headers | undefined) => void): void {
    const e = this.ended;
    if (e) queueMicrotask(() => cb(e.trailers));
    else this.endCbs.push(cb);
  }
  onAbort(cb: () => void): void {
    this.res.on('close', () => {
      if (!this.res.writableFinished) cb();
    });
  }
  pause(): void {
    this.req.pause();
  }
  resume(): void {
    this.req.resume();
  }

  respond(status: number, headers: Headers, endStream: boolean): void {
    // node renders the headers into the head it writes and keeps no reference: copy only to add Connection.
    this.res.writeHead(status, this.closeConnection ? { ...headers, connection: 'close' } : headers);
    if (endStream) this.res.end();
  }
  write(chunk: Buffer): boolean {
    this.bytesSent += chunk.length;
    return this.res.write(chunk);
  }
  onDrain(cb: () => void): void {
    this.res.once('drain', cb);
  }
  end(trailers?: Headers): void {
    if (trailers && Object.keys(trailers).length > 0 && !this.res.hasHeader('content-length')) {
      this.res.addTrailers(trailers as Record<string, string>);
    }
    this.res.end();
  }
  reset(): void {
    this.res.destroy();
  }
}
