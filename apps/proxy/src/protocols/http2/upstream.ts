// HTTP/2 upstream codec: one multiplexed session per host, replaced when it closes or receives GOAWAY.
// Streams opened before the session connects fail as connect failures (retriable), later ones as resets.
import http2 from 'node:http2';
import type { ClusterStats } from '../../upstream/cluster.js';
import { connectUpstream } from '../../upstream/transport.js';
import type { PoolOptions } from '../http1/upstream.js';
import {
  type ConnectionPool,
  cleanHeaders,
  type Headers,
  type RequestHead,
  type UpstreamEvents,
  type UpstreamStream,
} from '../types.js';

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, HTTP2_HEADER_STATUS } = http2.constants;

interface SessionState {
  session: http2.ClientHttp2Session;
  connected: boolean;
  streams: number;
}

export class Http2Pool implements ConnectionPool {
  readonly protocol = 'http2' as const;
  private current: SessionState | undefined;
  private readonly all = new Set<SessionState>();

  constructor(private readonly opts: PoolOptions) {}

  private session(): SessionState {
    const c = this.current;
    if (c && !c.session.closed && !c.session.destroyed) return c;
    const stats: ClusterStats = this.opts.stats;
    const tls = this.opts.tls;
    const authority = `${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${this.opts.port}`;
    const session = http2.connect(`${tls ? 'https' : 'http'}://${authority}`, {
      peerMaxConcurrentStreams: 1000,
      // TLS: our own socket (SNI, verification, client certificate, ssl.* stats); the session starts
      // once its handshake is done. HTTP/2 over TLS needs ALPN h2 (RFC 9113), whatever the context lists.
      ...(tls
        ? {
            createConnection: () =>
              connectUpstream({
                host: this.opts.host,
                port: this.opts.port,
                tls,
                alpn: tls.alpn.includes('h2') ? tls.alpn : ['h2', ...tls.alpn],
                servername: this.opts.servername,
                stats: this.opts.stats,
              }).socket,
          }
        : {}),
    });
    const st: SessionState = { session, connected: false, streams: 0 };
    stats.upstream_cx_total.inc();
    stats.upstream_cx_active.inc();
    this.opts.onConnection(1);
    const t = setTimeout(() => {
      stats.upstream_cx_connect_timeout.inc();
      session.destroy(Object.assign(new Error('upstream connect timeout'), { code: 'ETIMEDOUT' }));
    }, this.opts.connectTimeoutMs);
    session.once('connect', () => {
      clearTimeout(t);
      st.connected = true;
    });
    session.on('error', () => {
      if (!st.connected) stats.upstream_cx_connect_fail.inc();
    });
    session.once('goaway', () => {
      if (this.current === st) this.current = undefined;
    });
    session.once('close', () => {
      clearTimeout(t);
      stats.upstream_cx_active.dec();
      stats.upstream_cx_destroy.inc();
      this.opts.onConnection(-1);
      this.all.delete(st);
      if (this.current === st) this.current = undefined;
    });
    session.setTimeout(this.opts.idleTimeoutMs, () => {
      if (st.streams === 0) session.close();
    });
    this.current = st;
    this.all.add(st);
    return st;
  }

  request(head: RequestHead, ev: UpstreamEvents): UpstreamStream {
    const st = this.session();
    let done = false;
    let responded = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      fn();
    };
    const fail = (err: Error) =>
      finish(() => ev.onError(st.connected || responded ? 'reset' : 'connect-failure', err));
    let stream: http2.ClientHttp2Stream;
    try {
      stream = st.session.request({
        ':method': head.method,
        ':path': head.path,
        ':authority': head.authority,
        ':scheme': head.scheme,
        ...head.headers,
      });
    } catch (err) {
      queueMicrotask(() => fail(err as Error));
      return {
        write: () => false,
        onDrain: () => {},
        end: () => {},
        abort: () => {},
        pause: () => {},
        resume: () => {},
      };
    }
    st.streams++;
    if (st.connected) queueMicrotask(() => ev.onConnected());
    else st.session.once('connect', () => ev.onConnected());
    stream.on('response', (h, flags) => {
      responded = true;
      const status = Number(h[HTTP2_HEADER_STATUS] ?? 502);
      const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      ev.onHeaders(status, cleanHeaders(h), endStream);
    });
    stream.on('data', (c: Buffer) => ev.onData(c));
    stream.on('trailers', (t) => ev.onTrailers(cleanHeaders(t) as Headers));
    stream.on('end', () => finish(() => ev.onEnd()));
    stream.on('error', (err) => fail(err));
    stream.on('close', () => {
      st.streams--;
      if (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR) {
        fail(new Error(`upstream stream reset (code ${stream.rstCode})`));
      } else if (!done) {
        // Closed cleanly without 'end' (e.g. trailers-only response already delivered).
        finish(() => ev.onEnd());
      }
    });
    return {
      write: (chunk) => stream.write(chunk),
      onDrain: (cb) => stream.once('drain', cb),
      // Request trailers are not forwarded upstream (rare outside gRPC client streaming; a known gap).
      end: () => stream.end(),
      abort: () => {
        done = true;
        if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
      },
      pause: () => stream.pause(),
      resume: () => stream.resume(),
    };
  }

  close(graceful: boolean): void {
    for (const st of this.all) {
      if (graceful) st.session.close();
      else st.session.destroy();
    }
    this.current = undefined;
  }
}
