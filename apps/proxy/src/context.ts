// What every listener and filter instance shares: the cluster manager, named route tables (RDS and
// inline), stats, Istio metrics, the access log writer and the node identity.
import type net from 'node:net';
import type { AccessLogWriter } from './access-log/logger.js';
import type { NodeModel } from './model/bootstrap.js';
import type { RouteTableModel } from './model/route.js';
import type { IstioMetrics } from './stats/istio.js';
import type { StatsStore } from './stats/store.js';
import type { ClusterManager } from './upstream/cluster-manager.js';

/** Route tables by name. HCMs look tables up per request, so an RDS update touches no connection. */
export class RouteStore {
  private readonly tables = new Map<string, RouteTableModel>();
  set(name: string, table: RouteTableModel): void {
    this.tables.set(name, table);
  }
  get(name: string): RouteTableModel | undefined {
    return this.tables.get(name);
  }
  delete(name: string): void {
    this.tables.delete(name);
  }
  names(): string[] {
    return [...this.tables.keys()];
  }
}

/** The pre-REDIRECT destination of an intercepted connection (the SO_ORIGINAL_DST addon provides it). */
export type OriginalDstResolver = (socket: net.Socket) => { address: string; port: number } | undefined;

export interface ProxyContext {
  readonly clusters: ClusterManager;
  readonly routes: RouteStore;
  readonly stats: StatsStore;
  readonly istio: IstioMetrics;
  readonly accessLog: AccessLogWriter;
  readonly node: NodeModel;
  /** The destination a capture listener read (SO_ORIGINAL_DST); unset or undefined: ORIGINAL_DST has no host. */
  originalDst?: OriginalDstResolver;
  random(): number;
}
