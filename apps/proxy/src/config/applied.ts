// The applied configuration, as Envoy resources, for /config_dump: static (bootstrap) and dynamic
// resources by type and name with version and time, plus the last rejected update per name with its
// issues (what a NACK would carry).
import type { ConfigIssue } from '../errors.js';
import { formatIssue } from '../errors.js';
import { toProto3Json } from './proto-json.js';

export type ResourceKind = 'listener' | 'cluster' | 'route' | 'endpoint';

export const RESOURCE_TYPES: Record<ResourceKind, string> = {
  listener: 'envoy.config.listener.v3.Listener',
  cluster: 'envoy.config.cluster.v3.Cluster',
  route: 'envoy.config.route.v3.RouteConfiguration',
  endpoint: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
};

interface Entry {
  bytes: Uint8Array;
  version: string;
  lastUpdated: Date;
  static: boolean;
}

interface Rejected {
  bytes: Uint8Array;
  version: string;
  at: Date;
  issues: ConfigIssue[];
}

type Json = ReturnType<typeof toProto3Json>;

/** Names per kind are bounded by what the control plane sends; rejected entries are capped. */
export const MAX_REJECTED = 1000;

export class AppliedConfig {
  private readonly applied: Record<ResourceKind, Map<string, Entry>> = {
    listener: new Map(),
    cluster: new Map(),
    route: new Map(),
    endpoint: new Map(),
  };
  private readonly rejected: Record<ResourceKind, Map<string, Rejected>> = {
    listener: new Map(),
    cluster: new Map(),
    route: new Map(),
    endpoint: new Map(),
  };

  /** Accepted by the xDS client but not active yet (Envoy's warming: waiting for EDS, RDS or clusters). */
  private readonly warmingEntries: Record<'listener' | 'cluster', Map<string, Entry>> = {
    listener: new Map(),
    cluster: new Map(),
  };

  accept(kind: ResourceKind, name: string, bytes: Uint8Array, version: string, isStatic: boolean): void {
    this.applied[kind].set(name, { bytes, version, lastUpdated: new Date(), static: isStatic });
    this.rejected[kind].delete(name);
    if (kind === 'listener' || kind === 'cluster') this.warmingEntries[kind].delete(name);
  }

  /** Records a valid resource that is warming; `accept` (activation) or `unwarm` (removal) ends it. */
  warming(kind: 'listener' | 'cluster', name: string, bytes: Uint8Array, version: string): void {
    this.warmingEntries[kind].set(name, { bytes, version, lastUpdated: new Date(), static: false });
    this.rejected[kind].delete(name);
  }

  unwarm(kind: 'listener' | 'cluster', name: string): void {
    this.warmingEntries[kind].delete(name);
  }

  reject(kind: ResourceKind, name: string, bytes: Uint8Array, version: string, issues: ConfigIssue[]): void {
    const m = this.rejected[kind];
    if (!m.has(name) && m.size >= MAX_REJECTED) {
      const oldest = m.keys().next().value;
      if (oldest !== undefined) m.delete(oldest);
    }
    m.set(name, { bytes, version, at: new Date(), issues });
  }

  remove(kind: ResourceKind, name: string): void {
    this.applied[kind].delete(name);
  }

  rejectedIssues(kind: ResourceKind, name: string): ConfigIssue[] | undefined {
    return this.rejected[kind].get(name)?.issues;
  }

  /** Envoy's ConfigDump shape. */
  dump(bootstrapJson: Json): Json {
    const j = (kind: ResourceKind, bytes: Uint8Array) => toProto3Json(RESOURCE_TYPES[kind], bytes);
    const errorState = (kind: ResourceKind, name: string) => {
      const r = this.rejected[kind].get(name);
      if (!r) return undefined;
      return {
        failed_configuration: j(kind, r.bytes),
        last_update_attempt: r.at.toISOString(),
        details: r.issues.map(formatIssue).join('\n'),
      };
    };
    const names = (kind: ResourceKind) =>
      [
        ...new Set([
          ...this.applied[kind].keys(),
          ...this.rejected[kind].keys(),
          ...(kind === 'listener' ? this.warmingEntries.listener.keys() : []),
        ]),
      ].sort();
    const listeners = {
      '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      static_listeners: [...this.applied.listener.values()]
        .filter((e) => e.static)
        .map((e) => ({ listener: j('listener', e.bytes), last_updated: e.lastUpdated.toISOString() })),
      dynamic_listeners: names('listener')
        .filter((n) => !this.applied.listener.get(n)?.static || this.rejected.listener.has(n))
        .map((n) => {
          const e = this.applied.listener.get(n);
          const err = errorState('listener', n);
          const w = this.warmingEntries.listener.get(n);
          return {
            name: n,
            ...(w
              ? {
                  warming_state: {
                    version_info: w.version,
                    listener: j('listener', w.bytes),
                    last_updated: w.lastUpdated.toISOString(),
                  },
                }
              : {}),
            ...(e
              ? {
                  active_state: {
                    version_info: e.version,
                    listener: j('listener', e.bytes),
                    last_updated: e.lastUpdated.toISOString(),
                  },
                }
              : {}),
            ...(err ? { error_state: err } : {}),
          };
        }),
    };
    const clusters = {
      '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      static_clusters: [...this.applied.cluster.values()]
        .filter((e) => e.static)
        .map((e) => ({ cluster: j('cluster', e.bytes), last_updated: e.lastUpdated.toISOString() })),
      dynamic_active_clusters: [...this.applied.cluster.entries()]
        .filter(([, e]) => !e.static)
        .map(([, e]) => ({
          version_info: e.version,
          cluster: j('cluster', e.bytes),
          last_updated: e.lastUpdated.toISOString(),
        })),
      dynamic_warming_clusters: [...this.warmingEntries.cluster.values()].map((e) => ({
        version_info: e.version,
        cluster: j('cluster', e.bytes),
        last_updated: e.lastUpdated.toISOString(),
      })),
      ...this.errors('cluster', errorState),
    };
    const routes = {
      '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
      dynamic_route_configs: [...this.applied.route.values()].map((e) => ({
        version_info: e.version,
        route_config: j('route', e.bytes),
        last_updated: e.lastUpdated.toISOString(),
      })),
      ...this.errors('route', errorState),
    };
    const endpoints = {
      '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
      dynamic_endpoint_configs: [...this.applied.endpoint.values()].map((e) => ({
        version_info: e.version,
        endpoint_config: j('endpoint', e.bytes),
        last_updated: e.lastUpdated.toISOString(),
      })),
      ...this.errors('endpoint', errorState),
    };
    return {
      configs: [
        { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: bootstrapJson },
        clusters,
        listeners,
        routes,
        endpoints,
      ],
    } as unknown as Json;
  }

  private errors(
    kind: ResourceKind,
    errorState: (k: ResourceKind, n: string) => unknown,
  ): Record<string, unknown> {
    const names = [...this.rejected[kind].keys()];
    if (names.length === 0) return {};
    return { error_states: names.map((n) => ({ name: n, error_state: errorState(kind, n) })) };
  }
}
