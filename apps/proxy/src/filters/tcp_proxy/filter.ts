// tcp_proxy: picks a cluster (weighted), a host (LB, or the original destination for ORIGINAL_DST),
// connects with the cluster's connect timeout (retrying up to max_connect_attempts), replays the
// sniffed bytes and pipes.
import type net from 'node:net';
import type { ProxyContext } from '../../context.js';
import { pipeSockets } from '../../protocols/tcp/pipe.js';
import type { Scope } from '../../stats/store.js';
import type { Cluster } from '../../upstream/cluster.js';
import type { Host } from '../../upstream/host.js';
import { connectUpstream } from '../../upstream/transport.js';
import type { NetworkFilterInstance } from '../registry.js';
import type { TcpProxyConfig } from './config.js';
import { TCP_PROXY_STATS } from './stats.js';

export class TcpProxy implements NetworkFilterInstance {
  readonly stats: Scope<typeof TCP_PROXY_STATS>;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly config: TcpProxyConfig,
    private readonly ctx: ProxyContext,
  ) {
    this.stats = ctx.stats.scope(`tcp.${config.statPrefix}.`, 'tcp', TCP_PROXY_STATS, {
      envoy_tcp_prefix: config.statPrefix,
    });
  }

  accept(down: net.Socket, peeked: Buffer): void {
    this.stats.downstream_cx_total.inc();
    this.stats.downstream_cx_active.inc();
    this.sockets.add(down);
    down.once('close', () => {
      this.sockets.delete(down);
      this.stats.downstream_cx_active.dec();
    });
    down.on('error', () => {});
    down.pause();
    const cluster = this.pickCluster();
    if (!cluster) {
      this.stats.downstream_cx_no_route.inc();
      down.destroy();
      return;
    }
    this.connect(down, peeked, cluster, 1);
  }

  private pickCluster(): Cluster | undefined {
    const cs = this.config.clusters;
    let name = cs[0]?.name;
    if (cs.length > 1) {
      const total = cs.reduce((s, c) => s + c.weight, 0);
      let r = this.ctx.random() * total;
      for (const c of cs) {
        r -= c.weight;
        if (r < 0) {
          name = c.name;
          break;
        }
      }
    }
    return name ? this.ctx.clusters.get(name) : undefined;
  }

  private connect(down: net.Socket, peeked: Buffer, cluster: Cluster, attempt: number): void {
    let host: Host | undefined;
    if (cluster.model.discovery === 'ORIGINAL_DST') {
      // Never the accepting socket's own address: without the SO_ORIGINAL_DST addon that is a loop.
      const od = this.ctx.originalDst?.(down);
      host =
        od && !(od.port === down.localPort && od.address === down.localAddress)
          ? this.ctx.clusters.originalDstHost(cluster, od.address, od.port)
          : undefined;
    } else host = cluster.chooseHost({});
    if (!host || down.destroyed) {
      if (!host) {
        cluster.stats.upstream_cx_none_healthy.inc();
        this.stats.downstream_cx_no_route.inc();
      }
      down.destroy();
      return;
    }
    if (cluster.cxActive >= cluster.model.circuitBreakers.maxConnections) {
      cluster.stats.upstream_cx_overflow.inc();
      down.destroy();
      return;
    }
    const h = host;
    // TLS: the SNI is the configured one (auto SNI needs an HTTP request's host; TCP has none).
    const { socket: up, readyEvent } = connectUpstream({
      host: h.address,
      port: h.port,
      tls: cluster.model.tls,
      stats: cluster.stats,
    });
    cluster.stats.upstream_cx_total.inc();
    cluster.stats.upstream_cx_active.inc();
    cluster.cxActive++;
    h.cxActive++;
    let connected = false;
    const timer = setTimeout(() => {
      cluster.stats.upstream_cx_connect_timeout.inc();
      up.destroy(new Error('connect timeout'));
    }, cluster.model.connectTimeoutMs);
    up.once('close', () => {
      clearTimeout(timer);
      cluster.stats.upstream_cx_active.dec();
      cluster.stats.upstream_cx_destroy.inc();
      cluster.cxActive--;
      h.cxActive--;
    });
    up.once('error', () => {
      if (connected) return;
      cluster.stats.upstream_cx_connect_fail.inc();
      cluster.reportOutcome(h, { local: 'connect-failure' });
      if (attempt < this.config.maxConnectAttempts) this.connect(down, peeked, cluster, attempt + 1);
      else down.destroy();
    });
    up.once(readyEvent, () => {
      connected = true;
      clearTimeout(timer);
      cluster.reportOutcome(h, { status: 200 });
      const istio = this.ctx.istio.tcpSeries({
        reporter: 'source',
        destination_service: cluster.model.name,
        response_flags: '-',
      });
      istio?.opened.inc();
      if (peeked.length) {
        up.write(peeked);
        this.stats.downstream_cx_rx_bytes_total.inc(peeked.length);
        istio?.received.inc(peeked.length);
      }
      pipeSockets(down, up, this.config.idleTimeoutMs, {
        rx: (n) => {
          this.stats.downstream_cx_rx_bytes_total.inc(n);
          istio?.received.inc(n);
        },
        tx: (n) => {
          this.stats.downstream_cx_tx_bytes_total.inc(n);
          istio?.sent.inc(n);
        },
        idle: () => this.stats.idle_timeout.inc(),
        closed: () => istio?.closed.inc(),
      });
      down.resume();
    });
  }

  /** TCP has no in-band drain signal: connections close at the end of the drain window. */
  drain(): void {}

  get connectionCount(): number {
    return this.sockets.size;
  }

  closeAll(): void {
    for (const s of this.sockets) s.destroy();
  }
}
