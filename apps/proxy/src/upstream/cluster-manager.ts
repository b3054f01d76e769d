// The cluster manager: clusters by name, updated incrementally (add/update/remove one at a time, EDS
// assignments apart), and per-host connection pools chosen by the cluster's upstream protocol.
import type { ClusterModel } from '../model/cluster.js';
import { stableKey } from '../model/common.js';
import type { LoadAssignmentModel } from '../model/endpoint.js';
import { Http1Pool, type PoolOptions } from '../protocols/http1/upstream.js';
import { Http2Pool } from '../protocols/http2/upstream.js';
import type { ConnectionPool, RequestHead } from '../protocols/types.js';
import type { StatsStore } from '../stats/store.js';
import { Cluster } from './cluster.js';
import { Host } from './host.js';
import { CLUSTER_STATS } from './stats.js';

export class ClusterManager {
  private readonly clusters = new Map<string, Cluster>();
  private readonly modelKeys = new Map<string, string>();
  /** ORIGINAL_DST hosts, created per destination and bounded. */
  private readonly originalDstHosts = new Map<string, Host>();
  static readonly MAX_ORIGINAL_DST_HOSTS = 4096;

  constructor(
    private readonly stats: StatsStore,
    private readonly random: () => number = Math.random,
  ) {}

  /** Adds or updates a cluster. Returns false when the model is unchanged (nothing to do). */
  addOrUpdate(model: ClusterModel): boolean {
    const key = stableKey(model);
    if (this.modelKeys.get(model.name) === key) return false;
    this.modelKeys.set(model.name, key);
    const existing = this.clusters.get(model.name);
    if (existing) {
      // New TLS settings (or new certificate contents) must not reuse connections made with the old.
      const transportChanged =
        existing.model.protocol !== model.protocol || stableKey(existing.model.tls) !== stableKey(model.tls);
      existing.updateModel(model);
      if (transportChanged) {
        for (const p of existing.pools.values()) p.close(true);
        existing.pools.clear();
      }
      return true;
    }
    const scope = this.stats.scope(`cluster.${model.name}.`, 'cluster', CLUSTER_STATS, {
      envoy_cluster_name: model.name,
    });
    this.clusters.set(model.name, new Cluster(model, scope, this.random));
    return true;
  }

  remove(name: string): void {
    this.clusters.get(name)?.close();
    this.clusters.delete(name);
    this.modelKeys.delete(name);
    this.stats.removeScope(`cluster.${name}.`);
  }

  /** EDS: applies a ClusterLoadAssignment to the cluster whose eds service name matches. */
  applyAssignment(cla: LoadAssignmentModel): boolean {
    let applied = false;
    for (const c of this.clusters.values()) {
      if (c.model.discovery === 'EDS' && c.model.edsServiceName === cla.clusterName) {
        c.setAssignment(cla);
        applied = true;
      }
    }
    return applied;
  }

  get(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  all(): Cluster[] {
    return [...this.clusters.values()];
  }

  names(): string[] {
    return [...this.clusters.keys()];
  }

  /** The host for an ORIGINAL_DST cluster: the connection's original destination. */
  originalDstHost(cluster: Cluster, address: string, port: number): Host | undefined {
    const key = `${cluster.model.name}|${address}:${port}`;
    let h = this.originalDstHosts.get(key);
    if (!h) {
      if (this.originalDstHosts.size >= ClusterManager.MAX_ORIGINAL_DST_HOSTS) {
        // Oldest first: Map iteration order is insertion order.
        const oldest = this.originalDstHosts.keys().next().value;
        if (oldest !== undefined) this.originalDstHosts.delete(oldest);
      }
      h = new Host(address, port, 1, 'HEALTHY', 0, { region: '', zone: '', subZone: '' });
      this.originalDstHosts.set(key, h);
    }
    return h;
  }

  /**
   * The connection pool for a host, created on first use with the cluster's protocol. With auto SNI
   * (TLS without a fixed `sni`), pools are per host and SNI, the SNI being the request's host.
   */
  pool(
    cluster: Cluster,
    host: Host,
    downstreamProtocol: 'HTTP/1.1' | 'HTTP/2',
    head?: RequestHead,
  ): ConnectionPool {
    const proto =
      cluster.model.protocol === 'downstream'
        ? downstreamProtocol === 'HTTP/2'
          ? 'http2'
          : 'http1'
        : cluster.model.protocol;
    const tls = cluster.model.tls;
    const servername =
      tls?.autoSni && head ? autoSni(head.authority, head.headers, tls.autoSniHeader) : undefined;
    const key = servername ? `${host.key}|${proto}|${servername}` : `${host.key}|${proto}`;
    let p = cluster.pools.get(key) as ConnectionPool | undefined;
    if (!p) {
      const opts: PoolOptions = {
        host: host.address,
        port: host.port,
        connectTimeoutMs: cluster.model.connectTimeoutMs,
        maxConnections: cluster.model.circuitBreakers.maxConnections,
        idleTimeoutMs: cluster.model.idleTimeoutMs,
        stats: cluster.stats,
        tls,
        servername,
        onConnection: (d) => {
          cluster.cxActive += d;
          host.cxActive += d;
        },
      };
      p = proto === 'http2' ? new Http2Pool(opts) : new Http1Pool(opts);
      cluster.pools.set(key, p);
    }
    return p;
  }

  close(): void {
    for (const c of this.clusters.values()) c.close();
  }
}

/** Envoy's auto_sni: the request's host (or override_auto_sni_header when present), without the port. */
export function autoSni(
  authority: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  header: string,
): string | undefined {
  const h = header ? headers[header] : undefined;
  const raw = (Array.isArray(h) ? h[0] : h) || authority;
  if (!raw) return undefined;
  const host = raw.startsWith('[') ? raw.slice(1, raw.indexOf(']')) : raw.replace(/:\d+$/, '');
  return host.toLowerCase() || undefined;
}
