// The proxies under comparison, each configured for the same three routes to the same upstreams:
// HTTP/1.1 (any path -> the HTTP upstream, keep-alive both sides), gRPC (h2c downstream -> HTTP/2
// upstream) and Dubbo (TCP). Every one runs a single worker (strait-proxy and Node are one event
// loop; nginx gets worker_processes 1, HAProxy nbthread 1), so the comparison is per core.
// Each `start*` returns { name, pid, ports: { http?, grpc?, dubbo? }, version, note, stop() }.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hcmFilter, startStraitProxy, writeStaticBootstrap } from './bootstrap.mjs';
import { freePort, startChild, waitPort } from './common.mjs';

const stopper = (child) => async () => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
};

/** strait-proxy: the built binary with a static bootstrap; tcp_proxy for Dubbo (see note). */
export async function startStrait({ bin, dir, up, dubboFilter, extraNodeArgs = [] }) {
  const tcp = {
    name: 'tcp_proxy',
    yaml: `
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: dubbo_tcp
                cluster: dubbo_up`,
  };
  const dubbo = dubboFilter ?? tcp;
  const listeners = [
    { name: 'http', filters: hcmFilter('http', 'http_up') },
    { name: 'grpc', filters: hcmFilter('grpc', 'grpc_up') },
    { name: 'dubbo', filters: dubbo.yaml },
    // With the Dubbo filter, a second listener pipes Dubbo as bytes: what the filter's decoding costs.
    ...(dubboFilter ? [{ name: 'dubbo_tcp', filters: tcp.yaml }] : []),
  ];
  const file = writeStaticBootstrap(dir, {
    listeners,
    clusters: [
      { name: 'http_up', port: up.http },
      { name: 'grpc_up', port: up.grpc, extra: '\n      http2_protocol_options: {}' },
      { name: 'dubbo_up', port: up.dubbo },
    ],
  });
  const started = await startStraitProxy(
    bin,
    file,
    listeners.map((l) => l.name),
    { extraNodeArgs },
  );
  const { http, grpc, dubbo: dubboPort, dubbo_tcp: dubboTcp } = started.ports;
  return {
    name: 'strait-proxy',
    pid: started.child.pid,
    child: started.child,
    ports: { http, grpc, dubbo: dubboPort, ...(dubboTcp ? { dubboTcp } : {}) },
    version: 'workspace build',
    note: `Dubbo through ${dubbo.name}`,
    stop: stopper(started.child),
  };
}

/** nginx: plain foreground process with its own prefix; upstream keepalive; grpc_pass; stream for Dubbo. */
export async function startNginx({ dir, up }) {
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const ports = { http: await freePort(), grpc: await freePort(), dubbo: await freePort() };
  const streamModule = '/usr/lib/nginx/modules/ngx_stream_module.so';
  const hasStream = existsSync(streamModule);
  const tmp = (n) => `${n}_temp_path ${join(prefix, n)};`;
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `${hasStream ? `load_module ${streamModule};\n` : ''}worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${tmp('client_body')} ${tmp('proxy')} ${tmp('fastcgi')} ${tmp('uwsgi')} ${tmp('scgi')}
  upstream http_up { server 127.0.0.1:${up.http}; keepalive 64; keepalive_requests 1000000; }
  upstream grpc_up { server 127.0.0.1:${up.grpc}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${ports.http};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://http_up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
  server {
    listen 127.0.0.1:${ports.grpc} http2;
    keepalive_requests 1000000;
    http2_max_requests 1000000;
    location / { grpc_pass grpc://grpc_up; }
  }
}
${hasStream ? `stream { server { listen 127.0.0.1:${ports.dubbo}; proxy_pass 127.0.0.1:${up.dubbo}; } }\n` : ''}`,
  );
  if (!hasStream) delete ports.dubbo;
  const c = await startChild(
    'nginx',
    [
      '-p',
      prefix,
      '-c',
      join(prefix, 'nginx.conf'),
      '-e',
      join(prefix, 'logs', 'error.log'),
      '-g',
      'daemon off;',
    ],
    () => true,
  );
  await waitPort(ports.http);
  return {
    name: 'nginx',
    pid: c.child.pid,
    child: c.child,
    ports,
    version: nginxVersion(),
    note: hasStream ? 'Dubbo through the stream module' : 'no stream module: no Dubbo row',
    stop: async () => {
      // SIGQUIT would wait for connections; the worker is a child, SIGTERM to the master ends both.
      if (c.child.exitCode !== null) return;
      const gone = new Promise((r) => c.child.once('exit', r));
      c.child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      if (c.child.exitCode === null) c.child.kill('SIGKILL');
    },
  };
}

/** `nginx -v` prints to stderr. */
function nginxVersion() {
  try {
    return execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' })
      .trim()
      .replace(/^nginx version: /, '');
  } catch {
    return 'unknown';
  }
}

/** HAProxy: foreground (-db), one thread, server-side keep-alive with http-reuse always, h2 for gRPC. */
export async function startHaproxy({ dir, up }) {
  const ports = { http: await freePort(), grpc: await freePort(), dubbo: await freePort() };
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  http-reuse always
frontend http_in
  bind 127.0.0.1:${ports.http}
  default_backend http_up
backend http_up
  server s1 127.0.0.1:${up.http}
frontend grpc_in
  bind 127.0.0.1:${ports.grpc} proto h2
  default_backend grpc_up
backend grpc_up
  server s1 127.0.0.1:${up.grpc} proto h2
frontend dubbo_in
  mode tcp
  bind 127.0.0.1:${ports.dubbo}
  default_backend dubbo_up
backend dubbo_up
  mode tcp
  server s1 127.0.0.1:${up.dubbo}
`,
  );
  const c = await startChild('haproxy', ['-db', '-f', cfg], () => true);
  await waitPort(ports.http);
  const version = /HAProxy version (\S+)/.exec(execFileSync('haproxy', ['-v'], { encoding: 'utf8' }))?.[1];
  return {
    name: 'HAProxy',
    pid: c.child.pid,
    child: c.child,
    ports,
    version: version ?? 'unknown',
    note: 'Dubbo in mode tcp',
    stop: stopper(c.child),
  };
}

/**
 * The Node.js reverse proxy a TypeScript user would reach for: `http-proxy` (what
 * http-proxy-middleware, and so Express/Next.js setups, run on). HTTP/1.1 only: it has no HTTP/2
 * (so no gRPC) and no TCP mode (so no Dubbo).
 */
export async function startNodeProxy({ up, version }) {
  const src = `
const http = require('node:http');
const httpProxy = require('http-proxy');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
const proxy = httpProxy.createProxyServer({ target: 'http://127.0.0.1:${up.http}', agent, xfwd: true });
proxy.on('error', (err, req, res) => { if (!res.headersSent) res.writeHead(502); res.end(); });
const s = http.createServer((req, res) => proxy.web(req, res));
s.keepAliveTimeout = 120000;
s.listen(0, '127.0.0.1', () => console.log('NODEPROXY ' + s.address().port));`;
  const c = await startChild(process.execPath, ['-e', src], (log) => /NODEPROXY (\d+)/.exec(log)?.[1], {
    // Resolve http-proxy from this package's node_modules (the -e script has no file location).
    env: { ...process.env, NODE_PATH: new URL('../../node_modules', import.meta.url).pathname },
  });
  return {
    name: 'node http-proxy',
    pid: c.child.pid,
    child: c.child,
    ports: { http: Number(c.ready) },
    version,
    note: 'HTTP/1.1 only (no HTTP/2, no TCP)',
    stop: stopper(c.child),
  };
}
