// A listener shared by HTTP and Dubbo: sniffing sends 0xdabb connections to the dubbo_proxy chain
// (application_protocols: [dubbo]) and HTTP/1 to the HCM chain.
import { DubboConsumer } from '@strait/dubbo/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../../src/proxy.js';
import { DEMO, demoProvider, dubboCluster, type TestProvider } from '../../helpers/dubbo.js';
import { httpUpstream, request, startProxy, staticCluster, type Upstream } from '../../helpers/harness.js';

describe('dubbo_proxy beside an HTTP chain on one port', () => {
  let prov: TestProvider;
  let web: Upstream;
  let proxy: StraitProxy;

  beforeAll(async () => {
    prov = await demoProvider('p');
    web = await httpUpstream('web');
    proxy = await startProxy(`
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
static_resources:
  listeners:
    - name: mixed
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains:
        - filter_chain_match: { application_protocols: [dubbo] }
          filters:
            - name: envoy.filters.network.dubbo_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy
                stat_prefix: mixed_dubbo
                route_config: [{ interface: "*", routes: [{ match: { method: { name: { prefix: "" } } }, route: { cluster: dubbo } }] }]
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: mixed_http
                route_config: { virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: web } }] }] }
                http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]
  clusters:${dubboCluster('dubbo', [prov.port])}${staticCluster('web', [web.port])}
`);
  });

  afterAll(async () => {
    await proxy.shutdown();
    await web.close();
    await prov.provider.close({ drainTimeoutMs: 200 });
  });

  it('routes each connection by its sniffed protocol', async () => {
    const port = proxy.listenerPort('mixed')!;
    const consumer = new DubboConsumer({ providers: [{ host: '127.0.0.1', port }] });
    try {
      expect(
        await consumer.invoke({
          service: DEMO,
          version: '1.0.0',
          method: 'sayHello',
          parameterTypes: ['java.lang.String'],
          args: ['mixed'],
        }),
      ).toBe('p: hello mixed');
    } finally {
      consumer.close();
    }
    const r = await request(port, { path: '/x' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).name).toBe('web');
  });
});
