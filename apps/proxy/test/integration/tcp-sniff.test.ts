import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import {
  adminGet,
  httpUpstream,
  listen,
  request,
  startProxy,
  staticCluster,
  type Upstream,
} from '../helpers/harness.js';

function echoServer(tag: string): net.Server {
  return net.createServer((s) => {
    s.on('data', (d) => s.write(Buffer.concat([Buffer.from(`${tag}:`), d])));
    s.on('error', () => {});
  });
}

function tcpExchange(port: number, payload: Buffer, waitFor: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    c.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= waitFor) {
        c.end();
        resolve(got);
      }
    });
    c.on('error', reject);
    c.write(payload);
  });
}

describe('listener sniffing, filter chain match and tcp_proxy', () => {
  let echo: net.Server;
  let dubbo: net.Server;
  let http: Upstream;
  let echoPort: number;
  let dubboPort: number;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    echo = echoServer('tcp');
    dubbo = echoServer('dubbo');
    echoPort = await listen(echo);
    dubboPort = await listen(dubbo);
    http = await httpUpstream('web');
    const hcm = `
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: sniffed_http
                route_config: { virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: web } }] }] }
                http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]`;
    const tcp = (prefix: string, cluster: string) => `
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: ${prefix}
                cluster: ${cluster}`;
    proxy = await startProxy(`
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
static_resources:
  listeners:
    - name: mixed
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      listener_filters:
        - name: envoy.filters.listener.http_inspector
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector }
      listener_filters_timeout: 1s
      filter_chains:
        - filter_chain_match: { application_protocols: ["http/1.0", "http/1.1", "h2c"] }
          filters:${hcm}
        - filter_chain_match: { application_protocols: ["dubbo"] }
          filters:${tcp('dubbo', 'dubbo')}
        - filters:${tcp('raw', 'echo')}
    - name: plain-tcp
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains:
        - filters:${tcp('plain', 'echo')}
  clusters:${staticCluster('echo', [echoPort])}${staticCluster('dubbo', [dubboPort])}${staticCluster('web', [http.port])}
`);
    port = proxy.listenerPort('mixed')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    echo.close();
    dubbo.close();
    await http.close();
  });

  it('sends HTTP/1.1 to the HTTP chain without losing the sniffed bytes', async () => {
    const r = await request(port, { path: '/hello', method: 'POST', body: 'x'.repeat(1000) });
    expect(JSON.parse(r.body)).toMatchObject({ name: 'web', url: '/hello', body: 'x'.repeat(1000) });
  });

  it('sends Dubbo (magic 0xdabb) to the dubbo chain and anything else to raw TCP', async () => {
    const frame = Buffer.from([0xda, 0xbb, 0xc2, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const d = await tcpExchange(port, frame, 'dubbo:'.length + frame.length);
    expect(d.subarray(0, 6).toString()).toBe('dubbo:');
    expect(d.subarray(6).equals(frame)).toBe(true);
    const t = await tcpExchange(port, Buffer.from('\x00\x01binary-protocol'), 'tcp:'.length + 17);
    expect(t.toString()).toBe('tcp:\x00\x01binary-protocol');
  });

  it('does not wait for client bytes on a TCP-only listener (server-first protocols)', async () => {
    const p = proxy.listenerPort('plain-tcp')!;
    const big = Buffer.alloc(256 * 1024, 7);
    const got = await tcpExchange(p, big, 'tcp:'.length + big.length);
    expect(got.length).toBeGreaterThanOrEqual(big.length);
    const stats = (await adminGet(proxy, '/stats?filter=^tcp\\.')).body;
    expect(stats).toMatch(/tcp\.plain\.downstream_cx_total: [1-9]/);
    expect(stats).toMatch(/tcp\.dubbo\.downstream_cx_total: 1/);
  });

  it('closes connections that send nothing within listener_filters_timeout', async () => {
    const closed = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const c = net.connect(port, '127.0.0.1');
      c.on('close', () => resolve(Date.now() - t0));
      c.on('error', () => {});
    });
    expect(closed).toBeGreaterThanOrEqual(900);
    expect((await adminGet(proxy, '/stats')).body).toMatch(/downstream_pre_cx_timeout: 1/);
  });
});
