import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import {
  adminGet,
  httpBootstrap,
  httpUpstream,
  request,
  startProxy,
  staticCluster,
  type Upstream,
} from '../helpers/harness.js';

describe('admin API and Prometheus', () => {
  let up: Upstream;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    up = await httpUpstream('svc');
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: "outbound|80||reviews.bookinfo.svc.cluster.local" } }]`,
        staticCluster('outbound|80||reviews.bookinfo.svc.cluster.local', [up.port]),
        `access_log:
  - name: envoy.access_loggers.file
    typed_config:
      "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
      path: /dev/null`,
      ),
    );
    port = proxy.listenerPort('http')!;
    for (let i = 0; i < 3; i++)
      await request(port, { path: `/r${i}`, headers: { host: 'reviews.bookinfo:80' } });
  });

  afterAll(async () => {
    await proxy.shutdown();
    await up.close();
  });

  it('/listeners lists bound addresses (text and JSON)', async () => {
    expect((await adminGet(proxy, '/listeners')).body).toBe(`http::127.0.0.1:${port}\n`);
    const j = JSON.parse((await adminGet(proxy, '/listeners?format=json')).body);
    expect(j.listener_statuses[0].local_address.socket_address.port_value).toBe(port);
  });

  it('/config_dump shows applied resources with @type in snake_case', async () => {
    const dump = JSON.parse((await adminGet(proxy, '/config_dump')).body);
    const types = dump.configs.map((c: { '@type': string }) => c['@type'].split('.').at(-1));
    expect(types).toEqual([
      'BootstrapConfigDump',
      'ClustersConfigDump',
      'ListenersConfigDump',
      'RoutesConfigDump',
      'EndpointsConfigDump',
    ]);
    const l = dump.configs[2].static_listeners[0].listener;
    expect(l['@type']).toBe('type.googleapis.com/envoy.config.listener.v3.Listener');
    const hcm = l.filter_chains[0].filters[0].typed_config;
    expect(hcm['@type']).toBe(
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    );
    expect(hcm.stat_prefix).toBe('outbound_http');
    expect(dump.configs[1].static_clusters[0].cluster.connect_timeout).toBe('1s');
  });

  it('/config_dump keeps the last rejected config with its issues, and the last good one stays in use', async () => {
    const res = await proxy.applyListener({
      name: 'http',
      address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
      filterChains: [{ filters: [{ name: 'envoy.filters.network.redis_proxy' }] }],
    });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.issues[0]).toMatchObject({
      code: 'PROXY_ERR_UNSUPPORTED',
      resource: 'Listener "http"',
      path: 'filter_chains[0].filters[0]',
    });
    const dump = JSON.parse((await adminGet(proxy, '/config_dump')).body);
    const dyn = dump.configs[2].dynamic_listeners.find((d: { name: string }) => d.name === 'http');
    expect(dyn.error_state.details).toContain('redis_proxy');
    expect((await request(port, { path: '/still-works' })).status).toBe(200);
  });

  it('/clusters, /stats, /server_info, /ready and healthcheck fail/ok', async () => {
    const clusters = (await adminGet(proxy, '/clusters')).body;
    expect(clusters).toContain(
      `outbound|80||reviews.bookinfo.svc.cluster.local::127.0.0.1:${up.port}::rq_total::`,
    );
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(stats).toMatch(
      /cluster\.outbound\|80\|\|reviews\.bookinfo\.svc\.cluster\.local\.upstream_rq_total: [3-9]/,
    );
    expect(stats).toMatch(new RegExp(`listener\\.127\\.0\\.0\\.1_${port}\\.downstream_cx_total: [1-9]`));
    const sj = JSON.parse((await adminGet(proxy, '/stats?format=json&filter=^server\\.live$')).body);
    expect(sj).toEqual({ stats: [{ name: 'server.live', value: 1 }] });
    const info = JSON.parse((await adminGet(proxy, '/server_info')).body);
    expect(info.state).toBe('LIVE');
    expect((await adminGet(proxy, '/ready')).status).toBe(200);
    expect((await adminGet(proxy, '/healthcheck/fail', 'POST')).status).toBe(200);
    const r = await adminGet(proxy, '/ready');
    expect([r.status, r.body]).toEqual([503, 'DRAINING\n']);
    await adminGet(proxy, '/healthcheck/ok', 'POST');
    expect((await adminGet(proxy, '/ready')).status).toBe(200);
  });

  it('Prometheus serves Istio standard metrics and Envoy-style stats on its own port', async () => {
    const text = (await request(proxy.prometheusPort, { path: '/stats/prometheus' })).body;
    expect(text).toContain('# TYPE istio_requests_total counter');
    const line = text.split('\n').find((l) => l.startsWith('istio_requests_total{'));
    expect(line).toContain('reporter="source"');
    expect(line).toContain('source_workload="client"');
    expect(line).toContain('destination_service="reviews.bookinfo.svc.cluster.local"');
    expect(line).toContain('destination_service_name="reviews"');
    expect(line).toContain('destination_service_namespace="bookinfo"');
    expect(line).toContain('response_code="200"');
    expect(text).toContain('# TYPE istio_request_duration_milliseconds histogram');
    expect(text).toMatch(/istio_request_duration_milliseconds_bucket\{.*le="\+Inf"\} [3-9]/);
    expect(text).toMatch(
      /envoy_cluster_upstream_rq_total\{envoy_cluster_name="outbound\|80\|\|reviews\.bookinfo\.svc\.cluster\.local"\} [3-9]/,
    );
    expect(text).toMatch(
      /envoy_listener_downstream_cx_total\{envoy_listener_address="127\.0\.0\.1_\d+"\} \d+/,
    );
  });
});
