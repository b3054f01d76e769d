// One active listener: a net.Server, protocol sniffing (peek by buffering, then replay), filter chain
// selection, and the filter chain instances. Updates are in place: chains whose config is unchanged
// keep their instance and connections; chains that changed or went away drain their connections only.
import net from 'node:net';
import type { ProxyContext } from '../context.js';
import { ProxyError } from '../errors.js';
import { type NetworkFilterInstance, networkFilterByKind } from '../filters/registry.js';
import { stableKey } from '../model/common.js';
import type { FilterChainModel, ListenerModel } from '../model/listener.js';
import type { Scope } from '../stats/store.js';
import { type Destination, type OriginalDstReader, recordOriginalDst } from './capture.js';
import { ClientHelloParser } from './client-hello.js';
import { type ConnectionInfo, selectFilterChain } from './filter-chain-match.js';
import { SNIFF_BYTES, type Sniffed, sniff } from './sniff.js';
import { LISTENER_STATS, TLS_INSPECTOR_STATS } from './stats.js';

/** What the TLS inspector read from a ClientHello. */
interface TlsInfo {
  serverName: string;
  alpn: string[];
}

type Instance = NetworkFilterInstance;

interface ChainRuntime {
  model: FilterChainModel;
  match: FilterChainModel['match'];
  key: string;
  instance: Instance;
}

export interface ListenerOptions {
  drainTimeMs: number;
  defaultHeadersTimeoutMs: number;
  /** Open connections per listener; beyond it new ones are closed at once (a file-descriptor guard). */
  maxConnections?: number;
  /** Reads the pre-REDIRECT destination on capture listeners; without it they close every connection. */
  originalDst?: OriginalDstReader;
  /** use_original_dst: the listener whose address is the destination (the listener manager's lookup). */
  findListener?: (dst: Destination, direction: ListenerModel['direction']) => ActiveListener | undefined;
}

/** Hard cap on bytes read while sniffing plain bytes (a misbehaving client cannot make us buffer more);
 * a ClientHello has its own cap (client-hello.ts). */
const MAX_SNIFF_BUFFER = 64;

export class ActiveListener {
  model: ListenerModel;
  private server: net.Server | undefined;
  private chains: ChainRuntime[] = [];
  private defaultChain: ChainRuntime | undefined;
  private stats: Scope<typeof LISTENER_STATS> | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly drainingInstances = new Set<Instance>();
  draining = false;
  private drainTimers = new Set<NodeJS.Timeout>();

  constructor(
    model: ListenerModel,
    private readonly ctx: ProxyContext,
    private readonly opts: ListenerOptions,
  ) {
    this.model = model;
    this.buildChains(model);
  }

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.model.address.port;
  }

  /** Captures redirected traffic: reads each connection's original destination (15001, 15006). */
  get capture(): boolean {
    return this.model.useOriginalDst || this.model.originalDstFilter === true;
  }

  get statPrefix(): string {
    return `listener.${this.model.address.host}_${this.port}.`;
  }

  async start(): Promise<void> {
    if (!this.model.bindToPort) return;
    const server = net.createServer({ pauseOnConnect: false, noDelay: true });
    server.on('connection', (s) => this.onConnection(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new ProxyError('PROXY_ERR_LISTEN', `listener "${this.model.name}": ${err.message}`, { cause: err }),
        ),
      );
      server.listen({ host: this.model.address.host, port: this.model.address.port, backlog: 1024 }, () =>
        resolve(),
      );
    });
    server.on('error', () => {});
    this.server = server;
    this.ensureStats();
  }

  // Listeners that do not bind (bind_to_port: false) get their stats when a hand-off first reaches them.
  private ensureStats(): Scope<typeof LISTENER_STATS> {
    this.stats ??= this.ctx.stats.scope(this.statPrefix, 'listener', LISTENER_STATS, {
      envoy_listener_address: `${this.model.address.host}_${this.port}`,
    });
    return this.stats;
  }

  private makeInstance(fc: FilterChainModel): Instance {
    const factory = networkFilterByKind(fc.filter.kind);
    if (!factory)
      throw new ProxyError(
        'PROXY_ERR_UNSUPPORTED',
        `network filter kind ${fc.filter.kind} is not registered`,
      );
    return factory.create(fc.filter.config as never, this.ctx, {
      listenerName: this.model.name,
      direction: this.model.direction,
      defaultHeadersTimeoutMs: this.opts.defaultHeadersTimeoutMs,
    });
  }

  private buildChains(model: ListenerModel, reuse: ChainRuntime[] = []): void {
    const byKey = new Map(reuse.map((c) => [c.key, c]));
    const used = new Set<ChainRuntime>();
    const runtime = (fc: FilterChainModel): ChainRuntime => {
      const key = stableKey({ match: fc.match, filter: fc.filter });
      const old = byKey.get(key);
      if (old && !used.has(old)) {
        used.add(old);
        return { model: fc, match: fc.match, key, instance: old.instance };
      }
      return { model: fc, match: fc.match, key, instance: this.makeInstance(fc) };
    };
    this.chains = model.filterChains.map(runtime);
    this.defaultChain = model.defaultFilterChain ? runtime(model.defaultFilterChain) : undefined;
    // Chains that disappeared or changed: drain only their connections.
    for (const old of reuse) if (!used.has(old)) this.drainInstance(old.instance);
  }

  /** Applies a new config for the same address. Returns false if the address changed (caller replaces). */
  update(model: ListenerModel): boolean {
    if (model.address.host !== this.model.address.host || model.address.port !== this.model.address.port) {
      if (!(this.model.address.port === 0 && model.address.port === 0)) return false;
    }
    const old = [...this.chains, ...(this.defaultChain ? [this.defaultChain] : [])];
    this.model = model;
    this.buildChains(model, old);
    return true;
  }

  private drainInstance(inst: Instance): void {
    if (this.drainingInstances.has(inst)) return;
    this.drainingInstances.add(inst);
    inst.drain();
    const t = setTimeout(() => {
      this.drainTimers.delete(t);
      inst.closeAll();
      this.drainingInstances.delete(inst);
    }, this.opts.drainTimeMs);
    t.unref();
    this.drainTimers.add(t);
  }

  private onConnection(socket: net.Socket): void {
    if (this.capture) {
      // Read once, right after accept. Not redirected (someone dialled 15001 directly, or the addon is
      // missing): closed, never forwarded to the socket's own address, which would loop into the proxy.
      const dst = this.opts.originalDst?.(socket);
      if (dst === undefined) {
        this.ensureStats().downstream_cx_not_redirected.inc();
        socket.destroy();
        return;
      }
      recordOriginalDst(socket, dst);
      if (this.model.useOriginalDst && !this.draining) {
        const target = this.opts.findListener?.(dst, this.model.direction);
        if (target !== undefined && target !== this && !target.draining) {
          this.ensureStats().downstream_cx_handed_off.inc();
          target.adopt(socket, dst);
          return;
        }
      }
      this.accept(socket, dst);
      return;
    }
    this.accept(socket, undefined);
  }

  /** A captured connection handed over by a use_original_dst listener (Envoy's listener hand-off). */
  adopt(socket: net.Socket, dst: Destination): void {
    this.accept(socket, dst);
  }

  private accept(socket: net.Socket, dst: Destination | undefined): void {
    const stats = this.ensureStats();
    if (this.draining) {
      socket.destroy();
      return;
    }
    if (this.sockets.size >= (this.opts.maxConnections ?? Number.POSITIVE_INFINITY)) {
      stats.downstream_cx_overflow.inc();
      socket.destroy();
      return;
    }
    stats.downstream_cx_total.inc();
    stats.downstream_cx_active.inc();
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      stats.downstream_cx_active.dec();
      stats.downstream_cx_destroy.inc();
    });
    socket.on('error', () => {});
    if (!this.model.sniff) {
      this.dispatch(socket, Buffer.alloc(0), 'tcp', dst);
      return;
    }
    stats.downstream_pre_cx_active.inc();
    // The TLS inspector runs first (Envoy's listener filter order puts it before http_inspector in
    // Istio's config); bytes that are not TLS go on to protocol sniffing.
    const hello = this.model.tlsInspector ? new ClientHelloParser() : undefined;
    const tlsStats = hello
      ? this.ctx.stats.scope('tls_inspector.', 'tls_inspector', TLS_INSPECTOR_STATS)
      : undefined;
    let helloDecided = hello === undefined;
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    const settle = () => {
      done = true;
      clearTimeout(timer);
      stats.downstream_pre_cx_active.dec();
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
    };
    const finish = (proto: Sniffed, tls?: TlsInfo) => {
      if (done) return;
      settle();
      socket.pause();
      this.dispatch(socket, buf, proto, dst, tls);
    };
    // Hostile or broken hellos: closed without forwarding a byte.
    const reject = () => {
      if (done) return;
      settle();
      socket.destroy();
    };
    const onData = (c: Buffer) => {
      buf = buf.length === 0 ? c : Buffer.concat([buf, c]);
      if (!helloDecided && hello && tlsStats) {
        const r = hello.push(c);
        if (r === 'more') return;
        helloDecided = true;
        if (r.kind === 'tls') {
          tlsStats.tls_found.inc();
          (r.serverName ? tlsStats.sni_found : tlsStats.sni_not_found).inc();
          (r.alpn.length > 0 ? tlsStats.alpn_found : tlsStats.alpn_not_found).inc();
          finish('tcp', { serverName: r.serverName, alpn: r.alpn });
          return;
        }
        if (r.kind === 'too_large') {
          tlsStats.client_hello_too_large.inc();
          reject();
          return;
        }
        if (r.kind === 'invalid') {
          tlsStats.client_hello_invalid.inc();
          reject();
          return;
        }
        tlsStats.tls_not_found.inc();
      }
      const r = sniff(buf.subarray(0, SNIFF_BYTES));
      if (r !== 'more') finish(r);
      else if (buf.length >= MAX_SNIFF_BUFFER) finish('tcp');
    };
    const onEnd = () => {
      // Half a ClientHello and then EOF: nothing sensible to forward.
      if (!helloDecided && buf.length > 0) {
        tlsStats?.connection_closed.inc();
        reject();
        return;
      }
      finish('tcp');
    };
    const timer = setTimeout(() => {
      stats.downstream_pre_cx_timeout.inc();
      // Envoy's continue_on_listener_filters_timeout is off by default: the connection closes.
      reject();
    }, this.model.sniffTimeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.on('end', onEnd);
  }

  private dispatch(
    socket: net.Socket,
    peeked: Buffer,
    proto: Sniffed,
    dst: Destination | undefined,
    tls?: TlsInfo,
  ): void {
    if (socket.destroyed) return;
    const info: ConnectionInfo = {
      destinationIp: dst?.address ?? socket.localAddress ?? '',
      destinationPort: dst?.port ?? socket.localPort ?? 0,
      sourceIp: socket.remoteAddress ?? '',
      sourcePort: socket.remotePort ?? 0,
      transportProtocol: tls ? 'tls' : 'raw_buffer',
      serverName: tls?.serverName ?? '',
      applicationProtocols: tls ? tls.alpn : proto === 'tcp' ? [] : [proto],
    };
    const chain = selectFilterChain(this.chains, info) ?? this.defaultChain;
    if (!chain) {
      this.stats?.no_filter_chain_match.inc();
      socket.destroy();
      return;
    }
    chain.instance.accept(socket, peeked, proto);
  }

  /** Stops accepting, asks every instance to drain, and closes what is left after the drain window. */
  async drain(graceful: boolean): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      // close() waits for connections; resolve now, connections are handled below.
      resolve();
    });
    const all = [...this.chains, ...(this.defaultChain ? [this.defaultChain] : [])].map((c) => c.instance);
    for (const inst of all) inst.drain();
    const closeAll = () => {
      for (const inst of all) inst.closeAll();
      for (const s of this.sockets) {
        this.stats?.downstream_cx_drain_close.inc();
        s.destroy();
      }
    };
    if (!graceful) {
      closeAll();
      return;
    }
    const t = setTimeout(closeAll, this.opts.drainTimeMs);
    t.unref();
    this.drainTimers.add(t);
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Resolves when every connection is gone (or immediately when there are none). */
  async idle(): Promise<void> {
    while (this.sockets.size > 0) await new Promise((r) => setTimeout(r, 50));
  }

  close(): void {
    this.server?.close();
    for (const t of this.drainTimers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    for (const c of this.chains) c.instance.closeAll();
    this.defaultChain?.instance.closeAll();
    if (this.stats) this.ctx.stats.removeScope(this.statPrefix);
  }
}
