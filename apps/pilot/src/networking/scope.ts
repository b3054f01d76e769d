// Which services a proxy sees: Istio's Sidecar egress hosts (`namespace/dnsName`), chosen the Istio
// way (a Sidecar in the proxy's namespace whose workloadSelector matches; else the namespace's
// selector-less one; else every service).
import type { Sidecar } from '@strait/config';
import { type ProxyInfo, proxyClassKey } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import { labelsMatch, type Service } from '../model/service.js';

export function sidecarFor(ctx: PushContext, proxy: ProxyInfo): Sidecar | undefined {
  const inNs = ctx.sidecars.filter((s) => (s.metadata.namespace ?? 'default') === proxy.namespace);
  return (
    inNs.find((s) => s.spec.workloadSelector && labelsMatch(s.spec.workloadSelector.labels, proxy.labels)) ??
    inNs.find((s) => !s.spec.workloadSelector)
  );
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

/** Whether one egress entry (`ns/host`) admits a service. */
export function egressAdmits(entry: string, service: Service, proxyNamespace: string): boolean {
  const slash = entry.indexOf('/');
  const ns = slash >= 0 ? entry.slice(0, slash) : '*';
  const host = slash >= 0 ? entry.slice(slash + 1) : entry;
  if (ns === '~') return false;
  if (ns !== '*' && (ns === '.' ? proxyNamespace : ns) !== service.namespace) return false;
  return hostMatches(host, service.hostname);
}

// Per context: every service sorted by host, and each class's visible services (a Sidecar's egress
// list is resolved once per context and class, not once per resource type and proxy).
const sortedAll = new WeakMap<PushContext, readonly Service[]>();
const visible = new WeakMap<PushContext, Map<string, readonly Service[]>>();

const byHostname = (a: Service, b: Service): number =>
  a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0;

function allSorted(ctx: PushContext): readonly Service[] {
  let all = sortedAll.get(ctx);
  if (!all) {
    all = [...ctx.services.values()].sort(byHostname);
    sortedAll.set(ctx, all);
  }
  return all;
}

/** Services admitted by egress entries: exact hosts by lookup, wildcard ones by a scan. */
function admitted(ctx: PushContext, entries: readonly string[], proxyNamespace: string): Service[] {
  const out = new Set<Service>();
  const wildcards: string[] = [];
  for (const entry of entries) {
    const host = entry.slice(entry.indexOf('/') + 1);
    if (host.includes('*')) {
      wildcards.push(entry);
      continue;
    }
    const service = ctx.services.get(host);
    if (service && egressAdmits(entry, service, proxyNamespace)) out.add(service);
  }
  if (wildcards.length > 0) {
    for (const service of allSorted(ctx)) {
      if (!out.has(service) && wildcards.some((e) => egressAdmits(e, service, proxyNamespace)))
        out.add(service);
    }
  }
  return [...out].sort(byHostname);
}

/** Services visible to the proxy, sorted by host (stable output for stable versions). */
export function servicesInScope(ctx: PushContext, proxy: ProxyInfo): readonly Service[] {
  let byClass = visible.get(ctx);
  if (!byClass) {
    byClass = new Map();
    visible.set(ctx, byClass);
  }
  const key = proxyClassKey(proxy);
  let list = byClass.get(key);
  if (!list) {
    const entries = sidecarFor(ctx, proxy)?.spec.egress?.flatMap((e) => e.hosts);
    list = !entries || entries.length === 0 ? allSorted(ctx) : admitted(ctx, entries, proxy.namespace);
    if (byClass.size >= 10_000) byClass.clear();
    byClass.set(key, list);
  }
  return list;
}

// Per context, the hosts each (namespace, labels) sees: computed once, then a set lookup.
const scopes = new WeakMap<PushContext, Map<string, ReadonlySet<string> | 'all'>>();

function scopeOf(ctx: PushContext, proxy: ProxyInfo): ReadonlySet<string> | 'all' {
  let byProxy = scopes.get(ctx);
  if (!byProxy) {
    byProxy = new Map();
    scopes.set(ctx, byProxy);
  }
  const key = proxyClassKey(proxy);
  let scope = byProxy.get(key);
  if (scope === undefined) {
    const sidecar = sidecarFor(ctx, proxy);
    const entries = sidecar?.spec.egress?.flatMap((e) => e.hosts);
    scope =
      !entries || entries.length === 0 ? 'all' : new Set(servicesInScope(ctx, proxy).map((s) => s.hostname));
    if (byProxy.size >= 10_000) byProxy.clear();
    byProxy.set(key, scope);
  }
  return scope;
}

export function inScope(ctx: PushContext, proxy: ProxyInfo, host: string): boolean {
  if (!ctx.services.has(host)) return false;
  const scope = scopeOf(ctx, proxy);
  return scope === 'all' || scope.has(host);
}
