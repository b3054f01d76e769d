// A listener update (LDS) that changes Dubbo routes: connections on the old filter chain get READONLY
// and finish their calls, new connections follow the new routes; an invalid update is refused with
// field paths and the last good config keeps serving.

import { encodeRequest, Status } from '@strait/dubbo/codec';
import { DubboConnection, DubboConsumer } from '@strait/dubbo/sdk';
import { envoy } from '@strait/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../../src/proxy.js';
import { DEMO, demoProvider, dubboBootstrap, dubboCluster, type TestProvider } from '../../helpers/dubbo.js';
import { startProxy } from '../../helpers/harness.js';

type Listener = envoy.config.listener.v3.Listener.$Properties;
type RouteConfiguration = envoy.extensions.filters.network.dubbo_proxy.v3.RouteConfiguration.$Properties;

function listener(routeConfig: RouteConfiguration[]): Listener {
  const typed = envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy.encode({
    statPrefix: 'outbound_dubbo',
    routeConfig,
  }).finish();
  return {
    name: 'dubbo',
    address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
    trafficDirection: envoy.config.core.v3.TrafficDirection.OUTBOUND,
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.dubbo_proxy',
            typedConfig: {
              type_url: 'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy',
              value: typed,
            },
          },
        ],
      },
    ],
  };
}

const allTo = (cluster: string): RouteConfiguration[] => [
  { interface: DEMO, routes: [{ match: { method: { name: { prefix: '' } } }, route: { cluster } }] },
];

const hello = {
  service: DEMO,
  version: '1.0.0',
  method: 'sayHello',
  parameterTypes: ['java.lang.String'],
  args: ['u'],
};

describe('dubbo_proxy listener updates', () => {
  let v1: TestProvider;
  let v2: TestProvider;
  let proxy: StraitProxy;

  beforeAll(async () => {
    v1 = await demoProvider('v1');
    v2 = await demoProvider('v2');
    proxy = await startProxy(
      dubboBootstrap(
        `
- interface: ${DEMO}
  routes: [{ match: { method: { name: { prefix: "" } } }, route: { cluster: v1 } }]`,
        dubboCluster('v1', [v1.port]) + dubboCluster('v2', [v2.port]),
      ),
      { drainTimeMs: 3000 },
    );
  });

  afterAll(async () => {
    await proxy.shutdown();
    await Promise.all([
      v1.provider.close({ drainTimeoutMs: 200 }),
      v2.provider.close({ drainTimeoutMs: 200 }),
    ]);
  });

  it('drains the old chain with READONLY (in-flight calls finish) while new connections take the new routes', async () => {
    const port = proxy.listenerPort('dubbo')!;
    const old = await DubboConnection.connect({ host: '127.0.0.1', port });
    const readonly = new Promise<void>((r) => old.once('readonly', () => r()));
    const inflight = old.request(
      (id) =>
        encodeRequest({
          id,
          service: DEMO,
          version: '1.0.0',
          method: 'slow',
          parameterTypes: 'I',
          args: [300],
          attachments: { path: DEMO, version: '1.0.0' },
        }),
      5000,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect((await proxy.applyListener(listener(allTo('v2')))).ok).toBe(true);
    await readonly;
    const r = await inflight;
    expect(r?.status).toBe(Status.OK);
    expect(r?.value).toBe('v1: slept 300');
    const consumer = new DubboConsumer({
      providers: [{ host: '127.0.0.1', port: proxy.listenerPort('dubbo')! }],
    });
    try {
      expect(await consumer.invoke(hello)).toBe('v2: hello u');
    } finally {
      consumer.close();
    }
  });

  it('refuses an invalid update with field paths and keeps serving the last good routes', async () => {
    const bad = listener([
      { interface: DEMO, routes: [{ match: { method: { name: { prefix: '' } } }, route: {} }] },
    ]);
    const res = await proxy.applyListener(bad);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'PROXY_ERR_MISSING_FIELD filter_chains[0].filters[0].typed_config.route_config[0].routes[0].route',
    ]);
    const consumer = new DubboConsumer({
      providers: [{ host: '127.0.0.1', port: proxy.listenerPort('dubbo')! }],
    });
    try {
      expect(await consumer.invoke(hello)).toBe('v2: hello u');
    } finally {
      consumer.close();
    }
  });
});
