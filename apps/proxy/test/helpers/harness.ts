// Test harness: real upstream servers on loopback port 0, and a proxy started in-process from an
// Envoy-style YAML bootstrap (admin and listeners on port 0; ports read back from the proxy).
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { parseBootstrap } from '../../src/config/bootstrap.js';
import { type ProxyOptions, StraitProxy } from '../../src/proxy.js';

export async function listen<T extends net.Server>(server: T): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as net.AddressInfo).port;
}

export interface Upstream {
  port: number;
  hits: number;
  close(): Promise<void>;
}

export async function httpUpstream(
  name: string,
  handler?: http.RequestListener,
): Promise<Upstream & { server: http.Server }> {
  const up = {
    port: 0,
    hits: 0,
    server: http.createServer((req, res) => {
      up.hits++;
      if (handler) return handler(req, res);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-upstream', name);
        res.end(
          JSON.stringify({
            name,
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
    }),
    close: async () => {
      up.server.closeAllConnections();
      await new Promise<void>((r) => up.server.close(() => r()));
    },
  };
  up.server.keepAliveTimeout = 30_000;
  up.port = await listen(up.server);
  return up;
}

export async function h2Upstream(
  name: string,
  onStream?: (s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => void,
) {
  const sessions = new Set<http2.ServerHttp2Session>();
  const up = {
    port: 0,
    hits: 0,
    server: http2.createServer(),
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((r) => up.server.close(() => r()));
    },
  };
  up.server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  up.server.on('stream', (stream, headers) => {
    up.hits++;
    if (onStream) return onStream(stream, headers);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-upstream': name });
      stream.end(
        JSON.stringify({ name, path: headers[':path'], headers, body: Buffer.concat(chunks).toString() }),
      );
    });
  });
  up.port = await listen(up.server);
  return up;
}

export async function startProxy(yaml: string, opts: Partial<ProxyOptions> = {}): Promise<StraitProxy> {
  return StraitProxy.start({
    bootstrap: parseBootstrap(yaml),
    prometheusAddress: { host: '127.0.0.1', port: 0 },
    drainTimeMs: 2000,
    log: () => {},
    ...opts,
  });
}

/** A STATIC cluster in YAML (indented for static_resources.clusters). */
export function staticCluster(name: string, ports: number[], extra = ''): string {
  const eps = ports
    .map((p) => `{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${p} } } } }`)
    .join(', ');
  return `
    - name: ${name}
      type: STATIC
      connect_timeout: 1s
${extra
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => `      ${l}`)
  .join('\n')}
      load_assignment:
        cluster_name: ${name}
        endpoints: [{ lb_endpoints: [${eps}] }]`;
}

export const ROUTER = `
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;

/** A bootstrap with one HCM listener named "http" with the given route_config virtual_hosts YAML. */
export function httpBootstrap(
  virtualHosts: string,
  clusters: string,
  hcmExtra = '',
  httpFilters = '',
): string {
  return `
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
node: { id: test, cluster: test, metadata: { WORKLOAD_NAME: client, NAMESPACE: default } }
static_resources:
  listeners:
    - name: http
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      traffic_direction: OUTBOUND
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: outbound_http
${hcmExtra
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => `                ${l}`)
  .join('\n')}
                route_config:
                  name: local
                  virtual_hosts:
${virtualHosts
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => `                    ${l}`)
  .join('\n')}
                http_filters:${httpFilters}${ROUTER}
  clusters:${clusters}
`;
}

export interface Resp {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(
  port: number,
  opts: {
    path?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    agent?: http.Agent | false;
  } = {},
): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/',
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function adminGet(proxy: StraitProxy, path: string, method = 'GET'): Promise<Resp> {
  return request(proxy.adminPort, { path, method });
}
