// RDS for sidecars: one RouteConfiguration per HTTP port, named after the port ("7070"), with a
// virtual host per service on that port and a catch-all that passes through (or blackholes). Pure.
import type { ProxyInfo } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import { isHttpProtocol } from '../model/service.js';
import { outboundPorts, passthroughCluster } from './listeners.js';
import { buildRoutesFor, domainsFor, type RouteConfiguration, type VirtualHost } from './routes.js';

export function buildSidecarRoute(
  ctx: PushContext,
  proxy: ProxyInfo,
  name: string,
): RouteConfiguration | undefined {
  const portNumber = Number(name);
  if (!Number.isInteger(portNumber)) return undefined;
  const entries = outboundPorts(ctx, proxy).get(portNumber);
  if (!entries?.some((e) => isHttpProtocol(e.port.protocol))) return undefined;
  const used = new Set<string>();
  const virtualHosts: VirtualHost[] = [];
  for (const { service, port } of entries) {
    if (!isHttpProtocol(port.protocol)) continue;
    // Envoy rejects a domain that two virtual hosts share; the first service (by host) keeps it.
    const domains = domainsFor(service, port.number, proxy.namespace).filter((d) => !used.has(d));
    if (domains.length === 0) continue;
    for (const d of domains) used.add(d);
    virtualHosts.push({
      name: `${service.hostname}:${port.number}`,
      domains,
      routes: buildRoutesFor(ctx, service, port, {
        forGrpc: false,
        proxyLabels: proxy.labels,
        proxyNamespace: proxy.namespace,
      }),
    });
  }
  virtualHosts.push({
    name: 'allow_any',
    domains: ['*'],
    routes: [
      {
        name: 'allow_any',
        match: { prefix: '/' },
        route: { cluster: passthroughCluster(ctx, proxy), timeout: { seconds: 0, nanos: 0 } },
      },
    ],
  });
  return { name, virtualHosts, validateClusters: { value: false } };
}

/** Every route name the sidecar's listeners reference (its RDS "wildcard"). */
export function sidecarRouteNames(ctx: PushContext, proxy: ProxyInfo): string[] {
  const out: string[] = [];
  for (const [portNumber, entries] of outboundPorts(ctx, proxy)) {
    if (entries.some((e) => isHttpProtocol(e.port.protocol))) out.push(String(portNumber));
  }
  return out.sort();
}
