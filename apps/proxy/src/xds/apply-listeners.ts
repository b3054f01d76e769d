// LDS into the listener manager, with Envoy's listener warming: a new or changed listener is activated
// only once the route configurations it names (RDS) are in the store and the clusters it names have
// warmed, or its initial fetch timeout fired. The manager then updates in place (only changed filter
// chains drain) or binds a new socket; unrelated listeners are never touched. Activation is async (a
// bind), so it is serialized per listener name.
import { ListenerCodec } from '@strait/xds';
import type { ResourceError, ResourceUpdate } from '@strait/xds/stream';
import { type ListenerModel, translateListener } from '../model/listener.js';
import type { Scope } from '../stats/store.js';
import { type ApplyTargets, decodeResource, issuesMessage, ownBytes } from './context.js';
import type { WARMING_STATS } from './stats.js';
import { WarmingSet } from './warming.js';

const ListenerMsg = ListenerCodec;

/**
 * How traffic reaches the proxy. `iptables` (default): capture listeners bind (15001/15006) and
 * per-port outbound listeners stay unbound, as Envoy runs them. `none` (Istio's interceptionMode NONE,
 * for hosts without interception such as `strait lab` and tests): capture listeners are not bound and
 * outbound listeners bind on 127.0.0.1 at their port, so an app calls 127.0.0.1:PORT explicitly.
 */
export type InterceptionMode = 'iptables' | 'none';

interface PendingListener {
  model: ListenerModel;
  bytes: Uint8Array;
  version: string;
}

export interface ListenerApplierOptions {
  targets: ApplyTargets;
  warmingTimeoutMs: number;
  interception: InterceptionMode;
  isClusterWarming(name: string): boolean;
  hasRoute(name: string): boolean;
  /** The route configuration names listeners need changed (RDS subscription). */
  onRdsNames(names: ReadonlySet<string>): void;
  stats: Scope<typeof WARMING_STATS>;
}

/** RDS names and cluster names a listener depends on. */
export function listenerDeps(m: ListenerModel): { rds: string[]; clusters: string[] } {
  const rds = new Set<string>();
  const clusters = new Set<string>();
  for (const fc of [...m.filterChains, ...(m.defaultFilterChain ? [m.defaultFilterChain] : [])]) {
    const f = fc.filter;
    if (f.kind === 'http_connection_manager') {
      if (f.config.routes.kind === 'rds') rds.add(f.config.routes.name);
      else for (const c of f.config.routes.table.clusterNames) clusters.add(c);
    } else if (f.kind === 'tcp_proxy') for (const c of f.config.clusters) clusters.add(c.name);
    // Other filters (dubbo_proxy, ...) name clusters in their own route tables: no warming dependency.
  }
  return { rds: [...rds], clusters: [...clusters] };
}

export class ListenerApplier {
  readonly warming: WarmingSet<PendingListener>;
  private readonly rdsByListener = new Map<string, string[]>();
  /** Per listener, the tail of its activation chain (binds happen one at a time per name). */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly xdsListeners = new Set<string>();
  private closed = false;

  constructor(private readonly opts: ListenerApplierOptions) {
    this.warming = new WarmingSet<PendingListener>({
      timeoutMs: opts.warmingTimeoutMs,
      activate: (name, p, timedOut) => {
        if (timedOut) opts.stats.warming_timeouts.inc();
        this.activate(name, p);
      },
      onSizeChange: (n) => opts.stats.warming_listeners.set(n),
    });
  }

  get size(): number {
    return this.xdsListeners.size;
  }

  applyLds = (update: ResourceUpdate): ResourceError[] => {
    const { targets } = this.opts;
    const errors: ResourceError[] = [];
    for (const r of update.updated) {
      const bytes = ownBytes(r.resource.value);
      const decoded = decodeResource((b) => ListenerMsg.decode(b), bytes);
      if (!decoded.ok) {
        errors.push({ name: r.name, message: decoded.message });
        continue;
      }
      const t = translateListener(decoded.value);
      if (!t.ok) {
        targets.applied.reject('listener', r.name, bytes, update.version, t.issues);
        errors.push({ name: r.name, message: issuesMessage(t.issues) });
        continue;
      }
      const model = this.intercept(t.value);
      const deps = listenerDeps(model);
      this.rdsByListener.set(r.name, deps.rds);
      this.xdsListeners.add(r.name);
      const waits = [
        ...deps.rds.filter((n) => !this.opts.hasRoute(n)).map((n) => `rds:${n}`),
        ...deps.clusters.filter((c) => this.opts.isClusterWarming(c)).map((c) => `cluster:${c}`),
      ];
      this.warming.add(r.name, { model, bytes, version: update.version }, waits);
      if (this.warming.has(r.name)) targets.applied.warming('listener', r.name, bytes, update.version);
    }
    for (const name of update.removed) this.remove(name);
    this.publishRdsNames();
    return errors;
  };

  routeActive(name: string): void {
    this.warming.satisfy(`rds:${name}`);
  }

  clusterActive(name: string): void {
    this.warming.satisfy(`cluster:${name}`);
  }

  /** Resolves when every queued bind has finished (tests, readiness). */
  async settled(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private intercept(m: ListenerModel): ListenerModel {
    if (this.opts.interception !== 'none') return m;
    if (m.useOriginalDst) return { ...m, bindToPort: false };
    if (!m.bindToPort && m.direction === 'OUTBOUND') {
      return { ...m, bindToPort: true, address: { host: '127.0.0.1', port: m.address.port } };
    }
    return m;
  }

  private activate(name: string, p: PendingListener): void {
    const { targets } = this.opts;
    const prev = this.chains.get(name) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (this.closed || !this.xdsListeners.has(name)) return;
      try {
        const r = await targets.listeners.addOrUpdate(p.model);
        targets.applied.accept('listener', name, p.bytes, p.version, false);
        if (r !== 'unchanged') {
          const port = targets.listeners.get(name)?.port;
          targets.log(
            `strait-proxy: xds: listener "${name}" ${r}${p.model.bindToPort ? ` on ${p.model.address.host}:${port}` : ''}`,
          );
        }
      } catch (err) {
        // Bind failures surface after the ACK (binding is async): /config_dump shows them as the
        // listener's error_state, and the previous listener (if any) keeps serving.
        targets.applied.reject('listener', name, p.bytes, p.version, [
          {
            code: 'PROXY_ERR_LISTEN',
            resource: `Listener "${name}"`,
            path: 'address',
            message: (err as Error).message,
          },
        ]);
        targets.log(`strait-proxy: xds: listener "${name}": ${(err as Error).message}`);
      }
    });
    this.chains.set(name, next);
    void next.then(() => {
      if (this.chains.get(name) === next) this.chains.delete(name);
    });
  }

  private remove(name: string): void {
    const { targets } = this.opts;
    this.warming.delete(name);
    targets.applied.unwarm('listener', name);
    this.rdsByListener.delete(name);
    this.xdsListeners.delete(name);
    const prev = this.chains.get(name) ?? Promise.resolve();
    const next = prev.then(() => {
      targets.listeners.remove(name);
      targets.applied.remove('listener', name);
    });
    this.chains.set(name, next);
  }

  private publishRdsNames(): void {
    const names = new Set<string>();
    for (const rds of this.rdsByListener.values()) for (const n of rds) names.add(n);
    this.opts.onRdsNames(names);
  }

  close(): void {
    this.closed = true;
    this.warming.clear();
  }
}
