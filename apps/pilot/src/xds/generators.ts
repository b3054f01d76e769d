// Per-type generators: turn networking/ output into the versioned, Any-packed resources the stream
// state works with, and decide whether a push concerns a type at all (Istio's cdsNeedsPush & co).
// Caches are bounded and keyed so that proxies in the same situation share the work.
import { hash } from 'node:crypto';
import {
  ClusterCodec,
  ClusterLoadAssignmentCodec,
  ListenerCodec,
  RouteConfigurationCodec,
} from '@strait/xds';
import { digestOf, type ResourceSnapshot, type VersionedResource } from '@strait/xds/stream';
import { type ProxyInfo, proxyClassKey } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import {
  clusterHost,
  configClassKey,
  generateClusters,
  generateEndpoints,
  generateListeners,
  generateRoutes,
  inScope,
  localityKey,
  parseClusterName,
  type Requested,
} from '../networking/index.js';
import type { PushRequest } from './push-request.js';
import { CDS, EDS, LDS, RDS, type TypeUrl } from './type-urls.js';

interface Codec<T> {
  encode(message: T): Uint8Array;
}

function versioned<T extends { name?: string | null; clusterName?: string | null }>(
  typeUrl: string,
  codec: Codec<T>,
  message: T,
): VersionedResource {
  const value = codec.encode(message);
  const name = message.name ?? message.clusterName ?? '';
  // Content hash: equal bytes, equal version, so an unchanged resource is never re-sent (Delta).
  const version = hash('sha1', value, 'base64url').slice(0, 16);
  return { name, version, resource: { type_url: typeUrl, value }, digest: digestOf(name, version) };
}

function toSnapshot(list: VersionedResource[]): Map<string, VersionedResource> {
  return new Map(list.map((r) => [r.name, r]));
}

const MAX_CLASSES_PER_CONTEXT = 4096;
const MAX_EDS_ENTRIES = 200_000;

export class Generators {
  private byContext = new WeakMap<PushContext, Map<string, Map<string, VersionedResource>>>();
  /** ClusterLoadAssignments survive endpoint-only pushes except for the hosts that changed. */
  private readonly eds = new Map<string, VersionedResource | null>();
  /** Host → its cache keys in `eds` (cluster names, per locality key). */
  private readonly edsKeysByHost = new Map<string, Set<string>>();
  private edsContext: PushContext | undefined;
  private readonly edsViews = new WeakMap<PushContext, Map<string, EdsView>>();
  /** Per subscription set: the affected names of the last endpoint push it was asked about. */
  private readonly affected = new WeakMap<
    ReadonlySet<string>,
    { hosts: ReadonlySet<string>; result: readonly string[] }
  >();

  /** Whether a push request concerns a type (endpoint-only pushes touch EDS alone). */
  needsPush(type: TypeUrl, req: PushRequest): boolean {
    return req.full || type === EDS;
  }

  /** Drops what a new context invalidates; call once per context before generating from it. */
  advance(ctx: PushContext, req: PushRequest): void {
    if (this.edsContext === ctx) return;
    if (req.full) {
      this.eds.clear();
      this.edsKeysByHost.clear();
    } else {
      // Only the changed hosts' assignments go: an index, not a walk over every cached assignment.
      for (const host of req.edsHosts) {
        for (const key of this.edsKeysByHost.get(host) ?? []) this.eds.delete(key);
        this.edsKeysByHost.delete(host);
      }
    }
    this.edsContext = ctx;
  }

  /** Cluster names of the affected hosts among `names`. */
  affectedClusters(names: ReadonlySet<string>, hosts: ReadonlySet<string>): readonly string[] {
    // Streams with equal subscriptions share one set object: one scan per set and push, not per proxy
    // (a thousand sidecars x 10,000 names was 10 million suffix tests per endpoint change).
    const memo = this.affected.get(names);
    if (memo?.hosts === hosts) return memo.result;
    const result = scanAffected(names, hosts);
    this.affected.set(names, { hosts, result });
    return result;
  }

  /** The resources of one type this proxy should have, restricted to what it asked for. */
  generate(ctx: PushContext, proxy: ProxyInfo, type: TypeUrl, req: Requested): ResourceSnapshot {
    switch (type) {
      case EDS:
        return this.endpoints(ctx, proxy);
      case CDS:
        return this.cached(ctx, proxy, type, req, () =>
          generateClusters(ctx, proxy, req).map((c) => versioned(CDS, ClusterCodec, c)),
        );
      case LDS:
        return this.cached(ctx, proxy, type, req, () =>
          generateListeners(ctx, proxy, req).map((l) => versioned(LDS, ListenerCodec, l)),
        );
      case RDS:
        return this.cached(ctx, proxy, type, req, () =>
          generateRoutes(ctx, proxy, req).map((r) => versioned(RDS, RouteConfigurationCodec, r)),
        );
    }
  }

  private cached(
    ctx: PushContext,
    proxy: ProxyInfo,
    type: TypeUrl,
    req: Requested,
    build: () => VersionedResource[],
  ): ResourceSnapshot {
    let classes = this.byContext.get(ctx);
    if (!classes) {
      classes = new Map();
      this.byContext.set(ctx, classes);
    }
    const names = [...req.names].sort();
    const key = `${type}|${configClassKey(ctx, proxy)}|${req.wildcard ? '*' : names.join(',')}`;
    let snap = classes.get(key);
    if (!snap) {
      snap = toSnapshot(build());
      if (classes.size >= MAX_CLASSES_PER_CONTEXT) classes.clear();
      classes.set(key, snap);
    }
    return snap;
  }

  /**
   * EDS for a proxy: a view shared by every proxy of the same class in this context, filled lazily by
   * name from the assignment cache. A thousand sidecars subscribed to the same 10,000 clusters look
   * each name up in one map instead of each building a 10,000-entry snapshot of its own.
   */
  private endpoints(ctx: PushContext, proxy: ProxyInfo): ResourceSnapshot {
    let views = this.edsViews.get(ctx);
    if (!views) {
      views = new Map();
      this.edsViews.set(ctx, views);
    }
    // Assignments depend on the proxy's scope and locality, never on the services it serves: the
    // class key without the inbound part (which would index every endpoint IP of each new context).
    const key = proxyClassKey(proxy);
    let view = views.get(key);
    if (!view) {
      view = new EdsView((name) => this.assignment(ctx, proxy, name));
      if (views.size >= MAX_CLASSES_PER_CONTEXT) views.clear();
      views.set(key, view);
    }
    return view;
  }

  /** One ClusterLoadAssignment for a proxy of this class, null when it is unknown or out of scope. */
  private assignment(ctx: PushContext, proxy: ProxyInfo, name: string): VersionedResource | null {
    const key = parseClusterName(name);
    if (!key || !inScope(ctx, proxy, key.host)) return null;
    // With locality LB the assignment depends on the proxy's locality/labels: one entry per key.
    const locality = localityKey(ctx, name, proxy);
    const cacheKey = locality ? `${name}@${locality}` : name;
    // The cache holds the current context's assignments only; a view of an older context (a
    // connection mid-push) computes without caching rather than mixing generations.
    const cacheable = this.edsContext === ctx;
    let r = cacheable ? this.eds.get(cacheKey) : undefined;
    if (r === undefined) {
      const [cla] = generateEndpoints(ctx, proxy, { wildcard: false, names: [name] });
      r = cla ? versioned(EDS, ClusterLoadAssignmentCodec, cla) : null;
      if (this.eds.size >= MAX_EDS_ENTRIES) {
        this.eds.clear();
        this.edsKeysByHost.clear();
      }
      // Scope-filtered misses are per proxy; only cache what exists.
      if (r && cacheable) {
        this.eds.set(cacheKey, r);
        let keys = this.edsKeysByHost.get(key.host);
        if (!keys) {
          keys = new Set();
          this.edsKeysByHost.set(key.host, keys);
        }
        keys.add(cacheKey);
      }
    }
    return r;
  }
}

/** Cluster names of the affected hosts among `names`. */
function scanAffected(names: Iterable<string>, hosts: ReadonlySet<string>): string[] {
  const out: string[] = [];
  if (hosts.size <= 8) {
    // The usual endpoint change touches a host or two: a suffix test per name allocates nothing
    // (slicing the host out of each of 10,000 names per proxy was the change phase's hot spot).
    const suffixes = [...hosts].map((h) => `|${h}`);
    for (const n of names) {
      for (const s of suffixes) {
        if (n.endsWith(s)) {
          out.push(n);
          break;
        }
      }
    }
    return out;
  }
  for (const n of names) if (hosts.has(clusterHost(n))) out.push(n);
  return out;
}

/**
 * A snapshot of ClusterLoadAssignments computed on demand: EDS is requested by name (never by
 * wildcard), so `get` is what the stream state uses; iteration shows what has been looked up.
 */
export class EdsView implements ResourceSnapshot {
  /** Every name looked up: its assignment, or null when there is none. */
  private readonly memo = new Map<string, VersionedResource | null>();

  constructor(private readonly compute: (name: string) => VersionedResource | null) {}

  get(name: string): VersionedResource | undefined {
    let r = this.memo.get(name);
    if (r === undefined) {
      r = this.compute(name);
      this.memo.set(name, r);
    }
    return r ?? undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  get size(): number {
    let n = 0;
    for (const r of this.memo.values()) if (r) n++;
    return n;
  }

  forEach(fn: (value: VersionedResource, key: string, map: ResourceSnapshot) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  *entries(): MapIterator<[string, VersionedResource]> {
    for (const [k, v] of this.memo) if (v) yield [k, v];
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<VersionedResource> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, VersionedResource]> {
    return this.entries();
  }
}
