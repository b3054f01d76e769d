import type net from 'node:net';

// The one codec interface every HTTP protocol implements, on both sides. The HTTP connection manager
// and router only see these types, never node:http or node:http2 objects, so HTTP/1.1 and HTTP/2
// (and gRPC, which is HTTP/2 with trailers) share one request path.

/** Lower-case header names; pseudo-headers and hop-by-hop headers are never in here. */
export type Headers = Record<string, string | string[]>;

export interface RequestHead {
  method: string;
  path: string;
  authority: string;
  scheme: string;
  headers: Headers;
}

/** A downstream request/response exchange as the HCM sees it. */
export interface DownstreamExchange {
  readonly protocol: 'HTTP/1.1' | 'HTTP/2';
  readonly head: RequestHead;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly localPort: number;
  /** The downstream connection (for the original destination of intercepted traffic). */
  readonly socket: net.Socket | undefined;
  /** Body events; `onEnd` carries request trailers when there were any. */
  onData(cb: (chunk: Buffer) => void): void;
  onEnd(cb: (trailers: Headers | undefined) => void): void;
  /** The downstream went away before the response completed. */
  onAbort(cb: () => void): void;
  pause(): void;
  resume(): void;
  readonly headersSent: boolean;
  /** `mayHaveTrailers` keeps an HTTP/2 stream open after the last DATA frame for trailers. */
  respond(status: number, headers: Headers, endStream: boolean, mayHaveTrailers: boolean): void;
  write(chunk: Buffer): boolean;
  /** One-shot: called once the next time the write buffer drains (after write returned false). */
  onDrain(cb: () => void): void;
  end(trailers?: Headers): void;
  reset(): void;
  readonly bytesReceived: number;
  readonly bytesSent: number;
}

export type UpstreamFailure = 'connect-failure' | 'reset';

export interface UpstreamEvents {
  /** A connection was assigned (the request is no longer pending). */
  onConnected(): void;
  onHeaders(status: number, headers: Headers, endStream: boolean): void;
  onData(chunk: Buffer): void;
  onTrailers(trailers: Headers): void;
  onEnd(): void;
  onError(kind: UpstreamFailure, err: Error): void;
}

export interface UpstreamStream {
  write(chunk: Buffer): boolean;
  /** One-shot, as DownstreamExchange.onDrain. */
  onDrain(cb: () => void): void;
  end(trailers?: Headers): void;
  /** Reset by the proxy (timeout, downstream gone). */
  abort(): void;
  pause(): void;
  resume(): void;
}

export interface ConnectionPool {
  request(head: RequestHead, events: UpstreamEvents): UpstreamStream;
  /** graceful: let in-flight requests finish, close idle connections; otherwise destroy everything. */
  close(graceful: boolean): void;
  readonly protocol: 'http1' | 'http2';
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'http2-settings',
]);

/** Copies headers without pseudo-headers and hop-by-hop ones (plus any named in Connection). */
export function cleanHeaders(raw: Record<string, string | string[] | number | undefined>): Headers {
  // Runs twice per proxied request (request and response heads): no entries array, and the Connection
  // token set only when Connection names more than itself (profiled on the HTTP/1.1 path).
  const out: Headers = {};
  const extra = connectionTokens(raw['connection']);
  for (const k in raw) {
    const v = raw[k];
    if (v === undefined || k.charCodeAt(0) === 58 /* ':' */) continue;
    const name = k.toLowerCase();
    if (HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    out[name] = typeof v === 'number' ? String(v) : v;
  }
  return out;
}

/** Header names listed in Connection, or undefined when there are none beyond hop-by-hop ones. */
function connectionTokens(conn: string | string[] | number | undefined): Set<string> | undefined {
  if (conn === undefined || typeof conn === 'number') return undefined;
  // The usual values name no other header.
  if (typeof conn === 'string') {
    const c = conn.toLowerCase();
    if (c === 'close' || HOP_BY_HOP.has(c)) return undefined;
  }
  const tokens = (Array.isArray(conn) ? conn.join(',') : conn)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return tokens.length ? new Set(tokens) : undefined;
}

export function headerValue(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}
