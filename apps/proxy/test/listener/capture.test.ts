// Capture listener logic without iptables (no root): the use_original_dst hand-off, the fallback to the
// capture listener's own chains, and closing connections that were not redirected. The real thing,
// with iptables in a network namespace, is test/capture/iptables.test.ts.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressMatch, type Destination } from '../../src/listener/capture.js';
import { ListenerManager } from '../../src/listener/listener-manager.js';
import type { StraitProxy } from '../../src/proxy.js';
import { httpUpstream, request, startProxy, staticCluster, type Upstream } from '../helpers/harness.js';

const hcm = (prefix: string) => `
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ${prefix}
                route_config:
                  virtual_hosts:
                    - name: all
                      domains: ["*"]
                      response_headers_to_add: [{ header: { key: x-listener, value: ${prefix} } }]
                      routes: [{ match: { prefix: "/" }, route: { cluster: svc } }]
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;

describe('capture listeners (use_original_dst)', () => {
  let up: Upstream;
  let proxy: StraitProxy;
  let lm: ListenerManager;
  let dst: Destination | undefined;
  let capturePort: number;

  beforeAll(async () => {
    up = await httpUpstream('svc');
    proxy = await startProxy(`
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
static_resources:
  listeners:
    - name: virtualOutbound
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      use_original_dst: true
      traffic_direction: OUTBOUND
      listener_filters: [{ name: envoy.filters.listener.original_dst }]
      filter_chains:
        - filters:${hcm('own')}
    - name: 0.0.0.0_7777
      address: { socket_address: { address: 0.0.0.0, port_value: 7777 } }
      bind_to_port: false
      traffic_direction: OUTBOUND
      filter_chains:
        - filters:${hcm('port7777')}
    - name: inbound_7777
      address: { socket_address: { address: 10.1.2.3, port_value: 7777 } }
      bind_to_port: false
      traffic_direction: INBOUND
      filter_chains:
        - filters:${hcm('inbound')}
  clusters:${staticCluster('svc', [up.port])}
`);
    // A second manager over the same context, reading original destinations from `dst`.
    lm = new ListenerManager(proxy.ctx, {
      drainTimeMs: 100,
      defaultHeadersTimeoutMs: 5_000,
      originalDst: () => dst,
    });
    for (const m of proxy.model.listeners) await lm.addOrUpdate(m);
    capturePort = lm.get('virtualOutbound')!.port;
  });

  afterAll(async () => {
    lm.close();
    await proxy.shutdown();
    await up.close();
  });

  it('matches listener addresses exactly or by wildcard on the same port', () => {
    expect(addressMatch('10.1.2.3', 80, { address: '10.1.2.3', port: 80 })).toBe('exact');
    expect(addressMatch('0.0.0.0', 80, { address: '10.1.2.3', port: 80 })).toBe('wildcard');
    expect(addressMatch('0.0.0.0', 80, { address: 'fd00::1', port: 80 })).toBeUndefined();
    expect(addressMatch('::', 80, { address: 'fd00::1', port: 80 })).toBe('wildcard');
    expect(addressMatch('0.0.0.0', 81, { address: '10.1.2.3', port: 80 })).toBeUndefined();
  });

  it('hands a captured connection to the listener of its original destination (same direction only)', async () => {
    dst = { address: '10.9.9.9', port: 7777 };
    const r = await request(capturePort, { path: '/a' });
    expect(r.headers['x-listener']).toBe('port7777');
    // The exact address wins over the wildcard, but an INBOUND listener never takes outbound traffic.
    dst = { address: '10.1.2.3', port: 7777 };
    expect((await request(capturePort, { path: '/b' })).headers['x-listener']).toBe('port7777');
    expect(lm.findByDestination({ address: '10.1.2.3', port: 7777 }, 'INBOUND')?.model.name).toBe(
      'inbound_7777',
    );
  });

  it("stays on the capture listener's own chains when no listener has the destination", async () => {
    dst = { address: '10.9.9.9', port: 8888 };
    expect((await request(capturePort, { path: '/c' })).headers['x-listener']).toBe('own');
  });

  it('closes a connection that was not redirected, with a counter', async () => {
    dst = undefined;
    const closed = (port: number) =>
      new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        let data = '';
        s.on('data', (d) => {
          data += d;
        });
        s.on('error', () => {});
        s.on('close', () => resolve(data));
        s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      });
    expect(await closed(capturePort)).toBe('');
    // The proxy's own capture listener uses the real SO_ORIGINAL_DST reader: a direct connection is
    // not redirected either.
    expect(await closed(proxy.listenerPort('virtualOutbound')!)).toBe('');
    const text = proxy.statsText();
    expect(text).toMatch(
      new RegExp(`listener\\.127\\.0\\.0\\.1_${capturePort}\\.downstream_cx_not_redirected: 1`),
    );
    expect(text).toMatch(
      new RegExp(
        `listener\\.127\\.0\\.0\\.1_${proxy.listenerPort('virtualOutbound')}\\.downstream_cx_not_redirected: 1`,
      ),
    );
  });
});
