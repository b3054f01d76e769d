// Dubbo fixtures: @strait/dubbo SDK providers as the upstream application, a bootstrap with one
// dubbo_proxy listener, and stat reading through the admin API.
import { DubboProvider, type MethodHandler } from '@strait/dubbo/sdk';
import type { StraitProxy } from '../../src/proxy.js';
import { adminGet } from './harness.js';

export const DEMO = 'org.apache.dubbo.demo.DemoService';

export interface TestProvider {
  name: string;
  provider: DubboProvider;
  port: number;
  hits: number;
  oneway: number;
}

/** A provider of DEMO 1.0.0 that answers with its name, so tests can tell where a call went. */
export async function demoProvider(
  name: string,
  extra: Record<string, MethodHandler> = {},
): Promise<TestProvider> {
  const provider = new DubboProvider({ port: 0, qos: false, registerOnStart: false });
  const tp: TestProvider = { name, provider, port: 0, hits: 0, oneway: 0 };
  const count =
    (h: MethodHandler): MethodHandler =>
    (args, ctx) => {
      tp.hits++;
      return h(args, ctx);
    };
  provider.addService({
    interface: DEMO,
    version: '1.0.0',
    methods: {
      sayHello: count(([n]) => `${name}: hello ${String(n)}`),
      getUser: count(([id]) => `${name}: user ${String(id)}`),
      slow: count(async ([ms]) => {
        await new Promise((r) => setTimeout(r, Number(ms)));
        return `${name}: slept ${String(ms)}`;
      }),
      fail: count(() => {
        throw new Error(`${name} failed`);
      }),
      notify: () => {
        tp.oneway++;
        return null;
      },
      ...extra,
    },
  });
  await provider.start();
  tp.port = provider.port;
  return tp;
}

export function dubboCluster(name: string, ports: number[], extra = ''): string {
  const eps = ports
    .map((p) => `{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${p} } } } }`)
    .join(', ');
  return `
    - name: ${name}
      type: STATIC
      connect_timeout: 1s
      lb_policy: ROUND_ROBIN
${extra
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => `      ${l}`)
  .join('\n')}
      load_assignment:
        cluster_name: ${name}
        endpoints: [{ lb_endpoints: [${eps}] }]`;
}

/** One listener "dubbo" whose only chain is dubbo_proxy with `routeConfig` (YAML list items). */
export function dubboBootstrap(routeConfig: string, clusters: string): string {
  return `
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
node: { id: test, cluster: test, metadata: { WORKLOAD_NAME: consumer, NAMESPACE: default } }
static_resources:
  listeners:
    - name: dubbo
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      traffic_direction: OUTBOUND
      filter_chains:
        - filters:
            - name: envoy.filters.network.dubbo_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy
                stat_prefix: outbound_dubbo
                protocol_type: Dubbo
                serialization_type: Hessian2
                dubbo_filters: [{ name: envoy.filters.dubbo.router }]
                route_config:
${routeConfig
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => `                  ${l}`)
  .join('\n')}
  clusters:${clusters}
`;
}

/** Every stat as name -> value (counters and gauges; histograms are skipped). */
export async function stats(proxy: StraitProxy): Promise<Map<string, number>> {
  const body = (await adminGet(proxy, '/stats')).body;
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    const m = /^(\S+): (-?\d+(?:\.\d+)?)$/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export async function stat(proxy: StraitProxy, name: string): Promise<number> {
  return (await stats(proxy)).get(name) ?? 0;
}

export async function until(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
