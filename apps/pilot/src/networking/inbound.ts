// The proxy's own service ports: services with an endpoint at one of the proxy's IPs. They get inbound
// clusters (`inbound|PORT||`) and filter chains on the 15006 listener.
import type { ProxyInfo } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import { endpointsForPort, type Service, type ServicePort } from '../model/service.js';

export interface InboundPort {
  readonly service: Service;
  readonly port: ServicePort;
  /** The port the workload listens on. */
  readonly targetPort: number;
}

export function inboundServices(ctx: PushContext, proxy: ProxyInfo): InboundPort[] {
  if (proxy.ips.length === 0) return [];
  const ips = new Set(proxy.ips);
  const out: InboundPort[] = [];
  const seen = new Set<number>();
  const hosts = [...ctx.services.keys()].sort();
  for (const host of hosts) {
    const service = ctx.services.get(host)!;
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
