// HTTP/2 downstream codec over node:http2's core stream API (not the compat layer), so a trailers-only
// gRPC response goes out as one HEADERS frame with END_STREAM, and trailers follow DATA exactly.
import http2 from 'node:http2';
import type net from 'node:net';
import { cleanHeaders, type DownstreamExchange, type Headers, type RequestHead } from '../types.js';

const {
  HTTP2_HEADER_METHOD,
  HTTP2_HEADER_PATH,
  HTTP2_HEADER_AUTHORITY,
  HTTP2_HEADER_SCHEME,
  NGHTTP2_CANCEL,
  NGHTTP2_INTERNAL_ERROR,
} = http2.constants;

export class Http2Downstream implements DownstreamExchange {
  readonly protocol = 'HTTP/2' as const;
  readonly head: RequestHead;
  bytesReceived = 0;
  bytesSent = 0;
  private trailers: Headers | undefined;
  private ended = false;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
  ) {
    this.head = {
      method: String(headers[HTTP2_HEADER_METHOD] ?? 'GET'),
      path: String(headers[HTTP2_HEADER_PATH] ?? '/'),
      authority: String(headers[HTTP2_HEADER_AUTHORITY] ?? headers['host'] ?? ''),
      scheme: String(headers[HTTP2_HEADER_SCHEME] ?? 'http'),
      headers: cleanHeaders(headers),
    };
    if (headers['te'] === 'trailers') this.head.headers['te'] = 'trailers';
    stream.on('data', (c: Buffer) => {
      this.bytesReceived += c.length;
    });
    stream.on('wantTrailers', () => {
      this.stream.sendTrailers((this.trailers ?? {}) as http2.OutgoingHttpHeaders);
    });
    let trailers: Headers | undefined;
    stream.once('trailers', (t: http2.IncomingHttpHeaders) => {
      trailers = cleanHeaders(t);
    });
    // Remember the end: a filter that pauses (fault delay) may subscribe after it happened.
    stream.on('end', () => {
      this.requestEnded = { trailers };
      for (const cb of this.endCbs.splice(0)) cb(trailers);
    });
    // Errors surface as 'close' with an rstCode; an unhandled 'error' must never crash the proxy.
    stream.on('error', () => {});
  }

  get remoteAddress(): string {
    return this.stream.session?.socket?.remoteAddress ?? '';
  }
  get localAddress(): string {
    return this.stream.session?.socket?.localAddress ?? '';
  }
  get localPort(): number {
    return this.stream.session?.socket?.localPort ?? 0;
  }
  get socket(): net.Socket | undefined {
    return this.stream.session?.socket as net.Socket | undefined;
  }
  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  onData(cb: (chunk: Buffer) => void): void {
    this.stream.on('data', cb);
  }
  private requestEnded: { trailers: Headers | undefined } | undefined;
  private readonly endCbs: ((t: Headers | undefined) => void)[] = [];

  onEnd(cb: (trailers: Headers | undefined) => void): void {
    const e = this.requestEnded;
    if (e) queueMicrotask(() => cb(e.trailers));
    else this.endCbs.push(cb);
  }
  onAbort(cb: () => void): void {
    this.stream.on('close', () => {
      if (!this.ended) cb();
    });
  }
  pause(): void {
    this.stream.pause();
  }
  resume(): void {
    this.stream.resume();
  }

  respond(status: number, headers: Headers, endStream: boolean, mayHaveTrailers: boolean): void {
    if (this.stream.destroyed || this.stream.closed) return;
    if (endStream) this.ended = true;
    this.stream.respond({ ...headers, ':status': status } as http2.OutgoingHttpHeaders, {
      endStream,
      waitForTrailers: !endStream && mayHaveTrailers,
    });
  }
  write(chunk: Buffer): boolean {
    if (this.stream.destroyed) return true;
    this.bytesSent += chunk.length;
    return this.stream.write(chunk);
  }
  onDrain(cb: () => void): void {
    this.stream.once('drain', cb);
  }
  end(trailers?: Headers): void {
    this.ended = true;
    if (this.stream.destroyed) return;
    this.trailers = trailers;
    this.stream.end();
  }
  reset(): void {
    this.ended = true;
    if (!this.stream.destroyed)
      this.stream.close(this.stream.headersSent ? NGHTTP2_INTERNAL_ERROR : NGHTTP2_CANCEL);
  }
}
