// HTTP/1.1 upstream codec: a keep-alive http.Agent per host, bounded by the cluster's max_connections,
// counting connections into the cluster's stats and enforcing connect_timeout.
import http from 'node:http';
import type net from 'node:net';
import type { UpstreamTlsModel } from '../../model/upstream-tls.js';
import type { ClusterStats } from '../../upstream/cluster.js';
import { connectUpstream } from '../../upstream/transport.js';
import {
  type ConnectionPool,
  cleanHeaders,
  type Headers,
  type RequestHead,
  type UpstreamEvents,
  type UpstreamStream,
} from '../types.js';

export interface PoolOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  maxConnections: number;
  idleTimeoutMs: number;
  stats: ClusterStats;
  onConnection(delta: 1 | -1): void;
  /** TLS origination (the cluster's transport socket); undefined = plaintext. */
  tls?: UpstreamTlsModel | undefined;
  /** Auto SNI: this pool's SNI (pools are per host and SNI then). */
  servername?: string | undefined;
}

/** Marks a socket whose transport (TCP, or TLS handshake too) is up; see `isReady`. */
const READY = Symbol('strait.upstreamReady');
type MaybeReady = net.Socket & { [READY]?: boolean };

/** True once the socket can carry a request: connected, and for TLS, handshake done. */
export function isReady(s: net.Socket): boolean {
  return (s as MaybeReady)[READY] === true;
}

export class Http1Pool implements ConnectionPool {
  readonly protocol = 'http1' as const;
  private readonly agent: http.Agent;

  constructor(private readonly opts: PoolOptions) {
    const agent = new http.Agent({
      keepAlive: true,
      maxSockets: opts.maxConnections,
      maxFreeSockets: Math.min(opts.maxConnections, 256),
      scheduling: 'lifo',
      timeout: opts.idleTimeoutMs,
    });
    // Count every connection and bound connect time; the agent does its own pooling.
    // (The pool is per host, so the agent's per-request options add nothing to opts.)
    (agent as unknown as { createConnection: () => net.Socket }).createConnection = () => {
      const { socket: s, readyEvent } = connectUpstream({
        host: opts.host,
        port: opts.port,
        tls: opts.tls,
        servername: opts.servername,
        stats: opts.stats,
      });
      s.setNoDelay(true);
      opts.stats.upstream_cx_total.inc();
      opts.stats.upstream_cx_active.inc();
      opts.onConnection(1);
      const t = setTimeout(() => {
        opts.stats.upstream_cx_connect_timeout.inc();
        s.destroy(Object.assign(new Error('upstream connect timeout'), { code: 'ETIMEDOUT' }));
      }, opts.connectTimeoutMs);
      s.once(readyEvent, () => {
        clearTimeout(t);
        (s as MaybeReady)[READY] = true;
      });
      s.once('close', () => {
        clearTimeout(t);
        opts.stats.upstream_cx_active.dec();
        opts.stats.upstream_cx_destroy.inc();
        opts.onConnection(-1);
      });
      return s;
    };
    this.agent = agent;
  }

  request(head: RequestHead, ev: UpstreamEvents): UpstreamStream {
    let connected = false;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      fn();
    };
    // A flat [name, value, ...] list: node writes it as the request head directly, with no object copy
    // and no per-header setHeader bookkeeping (ClientRequest construction was a top frame in the profile).
    const headers: string[] = [];
    for (const name in head.headers) {
      if (name === 'host') continue;
      const v = head.headers[name]!;
      if (typeof v === 'string') headers.push(name, v);
      else for (const x of v) headers.push(name, x);
    }
    headers.push('host', head.authority);
    const options: http.RequestOptions & { servername: string } = {
      agent: this.agent,
      host: this.opts.host,
      port: this.opts.port,
      method: head.method,
      path: head.path,
      headers,
      setHost: false,
      // Plain HTTP has no SNI: an explicit empty servername spares the agent deriving one (an IP regex
      // test) on every request. (node reads it from the options; the http typings only declare it for TLS.)
      servername: '',
    };
    const req = http.request(options);
    req.on('socket', (s) => {
      if (isReady(s)) {
        connected = true;
        ev.onConnected();
      } else {
        s.once(this.opts.tls ? 'secureConnect' : 'connect', () => {
          connected = true;
          ev.onConnected();
        });
      }
    });
    let response: http.IncomingMessage | undefined;
    req.on('response', (res) => {
      response = res;
      ev.onHeaders(res.statusCode ?? 502, cleanHeaders(res.headers), false);
      res.on('data', (c: Buffer) => ev.onData(c));
      res.on('end', () =>
        finish(() => {
          if (res.rawTrailers.length > 0) ev.onTrailers(cleanHeaders(res.trailers) as Headers);
          ev.onEnd();
        }),
      );
      res.on('aborted', () => finish(() => ev.onError('reset', new Error('upstream response aborted'))));
      res.on('error', (err) => finish(() => ev.onError('reset', err)));
    });
    req.on('error', (err) => {
      if (!connected) this.opts.stats.upstream_cx_connect_fail.inc();
      finish(() => ev.onError(connected ? 'reset' : 'connect-failure', err));
    });
    return {
      write: (chunk) => req.write(chunk),
      onDrain: (cb) => req.once('drain', cb),
      end: () => req.end(),
      abort: () => {
        done = true;
        req.destroy();
      },
      pause: () => response?.pause(),
      resume: () => response?.resume(),
    };
  }

  close(graceful: boolean): void {
    // destroy() closes idle sockets; in-flight requests keep theirs when graceful (sockets are not
    // returned to a destroyed agent's free list, so they close when done).
    if (graceful) {
      for (const list of Object.values(this.agent.freeSockets)) for (const s of list ?? []) s.destroy();
    } else this.agent.destroy();
  }
}
