// The proxy's own service ports: services with an endpoint at one of the proxy's IPs. They get inbound
// clusters (`inbound|PORT||`) and filter chains on the 15006 listener.
import { type ProxyInfo, proxyClassKey } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import { endpointsForPort, type Service, type ServicePort } from '../model/service.js';

export interface InboundPort {
  readonly service: Service;
  readonly port: ServicePort;
  /** The port the workload listens on. */
  readonly targetPort: number;
}

// Per context: endpoint IP → hosts with an endpoint there. Built once per context on first use, so
// finding a proxy's own services costs its IPs' lookups, not a walk over every endpoint of the mesh
// (100,000 endpoints x 1,000 proxies was most of a full push).
const ipIndexes = new WeakMap<PushContext, ReadonlyMap<string, readonly string[]>>();

function ipIndex(ctx: PushContext): ReadonlyMap<string, readonly string[]> {
  let index = ipIndexes.get(ctx);
  if (!index) {
    const byIp = new Map<string, string[]>();
    for (const [host, eps] of ctx.endpoints) {
      for (const e of eps) {
        const hosts = byIp.get(e.address);
        if (!hosts) byIp.set(e.address, [host]);
        else if (hosts[hosts.length - 1] !== host) hosts.push(host);
      }
    }
    index = byIp;
    ipIndexes.set(ctx, index);
  }
  return index;
}

export function inboundServices(ctx: PushContext, proxy: ProxyInfo): InboundPort[] {
  if (proxy.ips.length === 0) return [];
  const index = ipIndex(ctx);
  const hostSet = new Set<string>();
  for (const ip of proxy.ips) for (const h of index.get(ip) ?? []) hostSet.add(h);
  if (hostSet.size === 0) return [];
  const ips = new Set(proxy.ips);
  const out: InboundPort[] = [];
  const seen = new Set<number>();
  for (const host of [...hostSet].sort()) {
    const service = ctx.services.get(host);
    if (!service) continue;
    const eps = ctx.endpoints.get(host) ?? [];
    for (const port of service.ports) {
      const mine = endpointsForPort(service, port, eps).find((e) => ips.has(e.address));
      if (!mine || seen.has(mine.port)) continue;
      seen.add(mine.port);
      out.push({ service, port, targetPort: mine.port });
    }
  }
  return out;
}

const classKeys = new WeakMap<PushContext, WeakMap<ProxyInfo, string>>();

/**
 * The key under which a proxy's generated config is shared within one context: its class (type,
 * namespace, app, labels, locality) plus the service ports it serves, which is all its IPs decide.
 */
export function configClassKey(ctx: PushContext, proxy: ProxyInfo): string {
  let byProxy = classKeys.get(ctx);
  if (!byProxy) {
    byProxy = new WeakMap();
    classKeys.set(ctx, byProxy);
  }
  let key = byProxy.get(proxy);
  if (key === undefined) {
    const inbound = inboundServices(ctx, proxy).map(
      (p) => `${p.service.hostname}:${p.port.number}:${p.targetPort}`,
    );
    key = `${proxyClassKey(proxy)}|in=${inbound.join(',')}`;
    byProxy.set(proxy, key);
  }
  return key;
}
