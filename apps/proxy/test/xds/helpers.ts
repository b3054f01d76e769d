// Real processes for the xDS tests: the built strait-pilot, strait-proxy and strait-registry binaries,
// HTTP upstreams that say who they are, and a keep-alive client that reports which socket it used.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROXY_BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
export const PILOT_BIN = fileURLToPath(
  new URL('../../node_modules/@strait/pilot/dist/bin.js', import.meta.url),
);
export const REGISTRY_BIN = fileURLToPath(
  new URL('../../node_modules/@strait/registry/dist/server/bin.js', import.meta.url),
);

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `re` in stdout+stderr (waits for it). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function run(bin: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    waitFor(re, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            listeners.delete(check);
            clearTimeout(t);
            resolve(m);
          }
        };
        const t = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${re} in:\n${out.slice(-4000)}`));
        }, timeoutMs);
        listeners.add(check);
        child.once('exit', (code) => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(t);
            reject(new Error(`process exited (${code}) before ${re}:\n${out.slice(-4000)}`));
          }
        });
        check();
      });
    },
    async stop(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

export async function startPilot(
  configDir: string,
  xdsAddress = '127.0.0.1:0',
  extra: string[] = [],
): Promise<{ proc: Proc; xds: string; http: string }> {
  const proc = run(
    PILOT_BIN,
    ['--config-dir', configDir, '--xds-address', xdsAddress, '--http-address', '127.0.0.1:0', ...extra],
    { STRAIT_PILOT_LOG_LEVEL: 'warn', STRAIT_PILOT_DEBOUNCE_AFTER: '20ms' },
  );
  const xds = (await proc.waitFor(/xds listening on (\S+)/))[1]!;
  const httpAddr = (await proc.waitFor(/http listening on (\S+)/))[1]!;
  return { proc, xds, http: httpAddr };
}

export function adsBootstrap(opts: {
  xds: string;
  variant: 'sotw' | 'delta';
  nodeId?: string;
  metadata?: Record<string, string>;
  /** Node LABELS metadata (a struct, as Istio's agent sends it). */
  labels?: Record<string, string>;
  /** Node locality; default r1/z1. */
  locality?: { region: string; zone: string; subZone?: string };
  initialFetchTimeout?: string;
}): string {
  const [host, port] = [
    opts.xds.slice(0, opts.xds.lastIndexOf(':')),
    opts.xds.slice(opts.xds.lastIndexOf(':') + 1),
  ];
  const meta = Object.entries(opts.metadata ?? { NAMESPACE: 'default' })
    .map(([k, v]) => `    ${k}: "${v}"`)
    .join('\n');
  const labels = opts.labels
    ? `\n    LABELS:\n${Object.entries(opts.labels)
        .map(([k, v]) => `      "${k}": "${v}"`)
        .join('\n')}`
    : '';
  const l = opts.locality ?? { region: 'r1', zone: 'z1' };
  return `
node:
  id: "${opts.nodeId ?? 'sidecar~127.0.0.1~client-1.default~default.svc.cluster.local'}"
  cluster: client.default
  locality: { region: "${l.region}", zone: "${l.zone}"${l.subZone ? `, sub_zone: "${l.subZone}"` : ''} }
  metadata:
${meta}${labels}
dynamic_resources:
  ads_config:
    api_type: ${opts.variant === 'sotw' ? 'GRPC' : 'DELTA_GRPC'}
    transport_api_version: V3
    grpc_services:
      - envoy_grpc:
          cluster_name: xds-grpc
          retry_policy: { retry_back_off: { base_interval: 0.2s, max_interval: 2s } }
  cds_config: { ads: {}, resource_api_version: V3${opts.initialFetchTimeout ? `, initial_fetch_timeout: ${opts.initialFetchTimeout}` : ''} }
  lds_config: { ads: {}, resource_api_version: V3 }
static_resources:
  clusters:
    - name: xds-grpc
      type: STATIC
      connect_timeout: 1s
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config: { http2_protocol_options: {} }
      load_assignment:
        cluster_name: xds-grpc
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: ${host}, port_value: ${port} } } } }] }]
`;
}

export async function startProxy(
  bootstrapYaml: string,
  extra: string[] = [],
): Promise<{ proc: Proc; admin: number; dir: string }> {
  const dir = tempDir('xds-proxy-');
  const file = join(dir, 'bootstrap.yaml');
  writeFileSync(file, bootstrapYaml);
  const proc = run(PROXY_BIN, [
    '--bootstrap',
    file,
    '--admin-address',
    '127.0.0.1:0',
    '--prometheus-address',
    'off',
    '--drain-time-s',
    '2',
    ...extra,
  ]);
  const admin = Number((await proc.waitFor(/admin listening on [^:]+:(\d+)/))[1]);
  return { proc, admin, dir };
}

export interface Upstream {
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** An HTTP server answering `name` (and the path) so a test sees which endpoint got the request. */
export async function upstream(name: string): Promise<Upstream> {
  const u = { port: 0, hits: 0 } as Upstream;
  const server = http.createServer((req, res) => {
    u.hits++;
    res.setHeader('content-type', 'text/plain');
    res.end(`${name} ${req.url}`);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  u.port = (server.address() as net.AddressInfo).port;
  u.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return u;
}

export interface Reply {
  status: number;
  body: string;
  /** The client-side local port of the socket used: the same number means the same connection. */
  localPort: number;
}

/** One GET over `agent` (keep-alive, one socket) so tests can tell whether a connection survived. */
export function get(port: number, host: string, path: string, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, headers: { host }, ...(agent ? { agent } : { agent: false }) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            localPort: res.socket?.localPort ?? req.socket?.localPort ?? 0,
          }),
        );
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

export async function adminJson<T>(admin: number, path: string): Promise<T> {
  const r = await get(admin, '127.0.0.1', path);
  return JSON.parse(r.body) as T;
}

export async function eventually<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${what} not reached in ${timeoutMs} ms; last: ${JSON.stringify(last)} ${lastErr ? String(lastErr) : ''}`,
  );
}

export async function waitReady(admin: number, timeoutMs = 20_000): Promise<void> {
  await eventually(
    () => get(admin, '127.0.0.1', '/ready'),
    (r) => r.status === 200,
    timeoutMs,
    '/ready 200',
  );
}
