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
import type { ResourceSnapshot, VersionedResource } from '@strait/xds/stream';
import { type ProxyInfo, proxyClassKey } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import {
  clusterHost,
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
  return {
    name: message.name ?? message.clusterName ?? '',
    // Content hash: equal bytes, equal version, so an unchanged resource is never re-sent (Delta).
    version: hash('sha1', value, 'base64url').slice(0, 16),
    resource: { type_url: typeUrl, value },
  };
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
  private edsContext: PushContext | undefined;

  /** Whether a push request concerns a type (endpoint-only pushes touch EDS alone). */
  needsPush(type: TypeUrl, req: PushRequest): boolean {
    return req.full || type === EDS;
  }

  /** Drops what a new context invalidates; call once per context before generating from it. */
  advance(ctx: PushContext, req: PushRequest): void {
    if (this.edsContext === ctx) return;
    if (req.full) this.eds.clear();
    else {
      for (const name of [...this.eds.keys()]) {
        // Keys are cluster names, possibly with "@region/cell": the host is before any "@".
        const at = name.indexOf('@', name.lastIndexOf('|'));
        const key = parseClusterName(at >= 0 ? name.slice(0, at) : name);
        if (!key || req.edsHosts.has(key.host)) this.eds.delete(name);
      }
    }
    this.edsContext = ctx;
  }

  /** Cluster names of the affected hosts among `names`. */
  affectedClusters(names: Iterable<string>, hosts: ReadonlySet<string>): string[] {
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

  /** The resources of one type this proxy should have, restricted to what it asked for. */
  generate(ctx: PushContext, proxy: ProxyInfo, type: TypeUrl, req: Requested): ResourceSnapshot {
    switch (type) {
      case EDS:
        return this.endpoints(ctx, proxy, req);
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
    const key = `${type}|${proxyClassKey(proxy)}|${req.wildcard ? '*' : names.join(',')}`;
    let snap = classes.get(key);
    if (!snap) {
      snap = toSnapshot(build());
      if (classes.size >= MAX_CLASSES_PER_CONTEXT) classes.clear();
      classes.set(key, snap);
    }
    return snap;
  }

  private endpoints(ctx: PushContext, proxy: ProxyInfo, req: Requested): ResourceSnapshot {
    const out = new Map<string, VersionedResource>();
    for (const name of req.names) {
      const key = parseClusterName(name);
      if (!key || !inScope(ctx, proxy, key.host)) continue;
      // With locality LB the assignment depends on the proxy's locality/labels: one entry per key.
      const locality = localityKey(ctx, name, proxy);
      const cacheKey = locality ? `${name}@${locality}` : name;
      let r = this.eds.get(cacheKey);
      if (r === undefined) {
        const [cla] = generateEndpoints(ctx, proxy, { wildcard: false, names: [name] });
        r = cla ? versioned(EDS, ClusterLoadAssignmentCodec, cla) : null;
        if (this.eds.size >= MAX_EDS_ENTRIES) this.eds.clear();
        // Scope-filtered misses are per proxy; only cache what exists.
        if (r) this.eds.set(cacheKey, r);
      }
      if (r) out.set(name, r);
    }
    return out;
  }
}
