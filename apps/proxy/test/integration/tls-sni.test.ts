// TLS passthrough by SNI on a static listener: the TLS inspector reads the ClientHello, chains match on
// server_names (exact beats wildcard) and transport_protocol, the hello is replayed untouched (the
// client verifies the real server's certificate through the proxy), plain bytes take the raw_buffer
// chain, and hostile hellos (malformed, oversized, truncated, stalled) are closed and counted.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import { adminGet, listen, startProxy, staticCluster } from '../helpers/harness.js';
import { hasOpenssl, makePki, type TestPki, type TlsBackend, tlsBackend, tlsCall } from '../helpers/tls.js';

function tcp(prefix: string, cluster: string): string {
  return `
          - name: envoy.filters.network.tcp_proxy
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
              stat_prefix: ${prefix}
              cluster: ${cluster}`;
}

/** Sends `bytes` (then maybe ends) and resolves with what came back when the proxy closed. */
function rawExchange(port: number, bytes: Buffer, end: boolean): Promise<{ reply: Buffer; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const c = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    c.on('data', (d) => chunks.push(d));
    c.on('error', () => {});
    c.on('close', () => resolve({ reply: Buffer.concat(chunks), ms: Date.now() - started }));
    c.write(bytes);
    if (end) c.end();
  });
}

describe.skipIf(!hasOpenssl())('TLS inspector and SNI filter chain matching', () => {
  let pki: TestPki;
  let a: TlsBackend;
  let wild: TlsBackend;
  let fallback: TlsBackend;
  let raw: net.Server;
  let rawConnections = 0;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    pki = makePki(['a.example.com', '*.example.com', 'x.y.example.com', 'other.test']);
    [a, wild, fallback] = await Promise.all([
      tlsBackend('A', pki),
      tlsBackend('WILD', pki),
      tlsBackend('FALLBACK', pki),
    ]);
    raw = net.createServer((s) => {
      rawConnections++;
      s.on('error', () => {});
      s.on('data', (d) => s.write(Buffer.concat([Buffer.from('raw:'), d])));
    });
    const rawPort = await listen(raw);
    proxy = await startProxy(`
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
static_resources:
  listeners:
    - name: sni
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      listener_filters:
        - name: envoy.filters.listener.tls_inspector
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }
      listener_filters_timeout: 1s
      filter_chains:
        - filter_chain_match: { server_names: ["*.example.com"], transport_protocol: tls }
          filters:${tcp('wild', 'wild')}
        - filter_chain_match: { server_names: [a.example.com], transport_protocol: tls }
          filters:${tcp('a', 'a')}
        - filter_chain_match: { transport_protocol: raw_buffer }
          filters:${tcp('raw', 'raw')}
      default_filter_chain:
        filters:${tcp('fallback', 'fallback')}
  clusters:${staticCluster('a', [a.port])}${staticCluster('wild', [wild.port])}${staticCluster('fallback', [fallback.port])}${staticCluster('raw', [rawPort])}
`);
    port = proxy.listenerPort('sni')!;
  });

  afterAll(async () => {
    await proxy?.shutdown();
    await Promise.all([a?.close(), wild?.close(), fallback?.close()]);
    raw?.close();
  });

  const stat = async (name: string) => {
    const text = (await adminGet(proxy, '/stats')).body;
    return Number(new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };

  it('routes by SNI: exact name beats the wildcard; the backend sees the client SNI and ALPN', async () => {
    expect(await tlsCall(port, 'a.example.com', pki, 'one', ['h2'])).toBe('A sni=a.example.com alpn=h2: one');
    expect(await tlsCall(port, 'b.example.com', pki, 'two')).toBe('WILD sni=b.example.com alpn=-: two');
    expect(await tlsCall(port, 'x.y.example.com', pki, 'three')).toBe(
      'WILD sni=x.y.example.com alpn=-: three',
    );
  });

  it('sends TLS with an SNI no chain names to the default chain', async () => {
    expect(await tlsCall(port, 'other.test', pki, 'four')).toBe('FALLBACK sni=other.test alpn=-: four');
  });

  it('sends plain bytes to the raw_buffer chain, replayed from the first byte', async () => {
    const got = await new Promise<string>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => c.write('PING\r\n'));
      c.setEncoding('utf8');
      c.on('data', (d: string) => {
        resolve(d);
        c.destroy();
      });
    });
    expect(got).toBe('raw:PING\r\n');
  });

  it('closes malformed, oversized, truncated and stalled hellos without reaching any backend, and counts them', async () => {
    const before = {
      invalid: await stat('tls_inspector.client_hello_invalid'),
      large: await stat('tls_inspector.client_hello_too_large'),
      closed: await stat('tls_inspector.connection_closed'),
      timeout: await stat(`listener.127.0.0.1_${port}.downstream_pre_cx_timeout`),
    };
    const handshakes = a.handshakes + wild.handshakes + fallback.handshakes;
    const connections = rawConnections;
    // A handshake record holding a ServerHello.
    const bad = await rawExchange(port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0, 0, 0]), false);
    // A ClientHello announcing 1 MiB.
    const big = await rawExchange(
      port,
      Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x10, 0x00, 0x00]),
      false,
    );
    // Half a hello, then EOF.
    const half = await rawExchange(port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00]), true);
    // A record header and silence: listener_filters_timeout (1 s) closes it.
    const stalled = await rawExchange(port, Buffer.from([0x16, 0x03, 0x01]), false);
    for (const r of [bad, big, half, stalled]) expect(r.reply.length).toBe(0);
    expect(stalled.ms).toBeGreaterThanOrEqual(900);
    expect(await stat('tls_inspector.client_hello_invalid')).toBe(before.invalid + 1);
    expect(await stat('tls_inspector.client_hello_too_large')).toBe(before.large + 1);
    expect(await stat('tls_inspector.connection_closed')).toBe(before.closed + 1);
    expect(await stat(`listener.127.0.0.1_${port}.downstream_pre_cx_timeout`)).toBe(before.timeout + 1);
    expect(a.handshakes + wild.handshakes + fallback.handshakes).toBe(handshakes);
    expect(rawConnections).toBe(connections);
    // And the listener still serves.
    expect(await tlsCall(port, 'a.example.com', pki, 'after')).toBe('A sni=a.example.com alpn=-: after');
  });

  it('counts what the inspector found', async () => {
    expect(await stat('tls_inspector.tls_found')).toBeGreaterThanOrEqual(5);
    expect(await stat('tls_inspector.sni_found')).toBeGreaterThanOrEqual(5);
    expect(await stat('tls_inspector.alpn_found')).toBeGreaterThanOrEqual(1);
    expect(await stat('tls_inspector.tls_not_found')).toBeGreaterThanOrEqual(1);
  });
});
