// Traffic capture for real: a pod network namespace with @strait/netfilter's iptables rules, the built
// strait-proxy binary running as uid 1337 inside it, an upstream HTTP server in the peer namespace and
// an app process in the pod. Needs root (fails with NETFILTER_ERR_NOT_ROOT otherwise, never skips) and
// the workspace build (`pnpm --filter @strait/proxy... build`: dist/bin.js and netfilter's addon).
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apply, buildRules, detach, type InterceptionRules, isApplied, remove } from '@strait/netfilter';
import { createTestNetns, requireRoot, type TestNetns, waitForLine } from '@strait/netfilter/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const SERVICE_PORT = 8080; // has an HTTP listener in the proxy (0.0.0.0:8080, bind_to_port: false)
const RAW_PORT = 8081; // no listener: stays on 15001's own chain (tcp_proxy to PassthroughCluster)
const ADMIN = 15000;
const APP_PORT = 9090; // the app's own server, reached from the peer through 15006

// The upstream (peer namespace): echoes what it saw as JSON, on both ports.
const UPSTREAM = `
const http = require('node:http');
const [host, ...ports] = process.argv.slice(2);
let n = 0;
for (const port of ports) {
  http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ port: Number(port), url: req.url, captured: req.headers['x-strait-captured'] ?? null }));
  }).listen(Number(port), host, () => { if (++n === ports.length) console.log('upstream ready'); });
}
`;

// The app (pod namespace, root: captured by the rules). One JSON command per stdin line, one JSON
// answer per stdout line. "ka" requests share one keep-alive connection; "new" ones open a fresh one.
const APP = `
const http = require('node:http');
const net = require('node:net');
const readline = require('node:readline');
const ka = new http.Agent({ keepAlive: true, maxSockets: 1 });
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
http.createServer((req, res) => res.end(JSON.stringify({ app: true, url: req.url, inbound: req.headers['x-strait-inbound'] ?? null })))
  .listen(Number(process.argv[2]), '0.0.0.0');
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line);
  if (c.op === 'raw') {
    // Connect, and report whether the peer closed without a byte (what a non-redirected 15001 does).
    const s = net.connect(c.port, c.host);
    let data = '';
    s.setTimeout(3000, () => { s.destroy(); out({ id: c.id, closed: false, data }); });
    s.on('data', (d) => { data += d; });
    s.on('error', () => {});
    s.on('close', () => out({ id: c.id, closed: true, data }));
    return;
  }
  const req = http.request({ host: c.host, port: c.port, path: c.path, agent: c.agent === 'ka' ? ka : false, timeout: 5000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { body += d; });
    res.on('end', () => out({ id: c.id, status: res.statusCode, headers: res.headers, body, reused: req.reusedSocket }));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => out({ id: c.id, error: e.message }));
  req.end();
});
console.log('app ready');
`;

function bootstrap(): string {
  const hcm = (prefix: string, cluster: string, requestHeader: string) => `
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ${prefix}
                route_config:
                  name: ${prefix}
                  virtual_hosts:
                    - name: all
                      domains: ["*"]
                      response_headers_to_add: [{ header: { key: x-strait-proxy, value: "${prefix}" } }]
                      request_headers_to_add: [{ header: { key: ${requestHeader}, value: "yes" } }]
                      routes: [{ match: { prefix: "/" }, route: { cluster: ${cluster} } }]
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;
  return `
admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${ADMIN} } } }
node: { id: sidecar~10.200.0.1~app.default~default.svc.cluster.local, cluster: app.default }
static_resources:
  listeners:
    - name: virtualOutbound
      address: { socket_address: { address: 0.0.0.0, port_value: 15001 } }
      use_original_dst: true
      traffic_direction: OUTBOUND
      listener_filters:
        - name: envoy.filters.listener.original_dst
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst }
      filter_chains:
        - name: virtualOutbound-catchall-tcp
          filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: PassthroughCluster
                cluster: PassthroughCluster
    - name: virtualInbound
      address: { socket_address: { address: 0.0.0.0, port_value: 15006 } }
      use_original_dst: true # as the pilot builds it: must not hand off to the outbound 0.0.0.0_${APP_PORT}
      traffic_direction: INBOUND
      listener_filters:
        - name: envoy.filters.listener.original_dst
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst }
      filter_chains:
        - name: inbound-${APP_PORT}
          filter_chain_match: { destination_port: ${APP_PORT} }
          filters:${hcm('inbound', 'inbound_app', 'x-strait-inbound')}
    - name: 0.0.0.0_${APP_PORT}
      address: { socket_address: { address: 0.0.0.0, port_value: ${APP_PORT} } }
      bind_to_port: false
      traffic_direction: OUTBOUND
      filter_chains:
        - filters:${hcm('outbound_app', 'PassthroughCluster', 'x-strait-captured')}
    - name: 0.0.0.0_${SERVICE_PORT}
      address: { socket_address: { address: 0.0.0.0, port_value: ${SERVICE_PORT} } }
      bind_to_port: false
      traffic_direction: OUTBOUND
      filter_chains:
        - filters:${hcm('svc', 'PassthroughCluster', 'x-strait-captured')}
  clusters:
    - name: PassthroughCluster
      type: ORIGINAL_DST
      lb_policy: CLUSTER_PROVIDED
      connect_timeout: 2s
    - name: inbound_app
      type: STATIC
      connect_timeout: 2s
      load_assignment:
        cluster_name: inbound_app
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${APP_PORT} } } } }] }]
`;
}

interface AppAnswer {
  id: number;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  reused?: boolean;
  error?: string;
  closed?: boolean;
  data?: string;
}

/** Talks to the app process line by line. */
class App {
  private seq = 0;
  private buffered = '';
  private readonly waiting = new Map<number, (a: AppAnswer) => void>();
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (d: Buffer) => {
      this.buffered += d.toString('utf8');
      const lines = this.buffered.split('\n');
      this.buffered = lines.pop() ?? '';
      for (const l of lines) {
        if (!l.startsWith('{')) continue;
        const a = JSON.parse(l) as AppAnswer;
        this.waiting.get(a.id)?.(a);
        this.waiting.delete(a.id);
      }
    });
  }
  send(cmd: Record<string, unknown>, timeoutMs = 8_000): Promise<AppAnswer> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`app did not answer ${JSON.stringify(cmd)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (a) => {
        clearTimeout(t);
        resolve(a);
      });
      this.child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    });
  }
  get(host: string, port: number, path: string, agent: 'ka' | 'new'): Promise<AppAnswer> {
    return this.send({ op: 'get', host, port, path, agent });
  }
}

/** Resolves with the first stderr line matching `pattern` (the proxy logs there). */
function waitForStderr(child: ChildProcessWithoutNullStreams, pattern: RegExp, timeoutMs: number) {
  return new Promise<void>((resolve, reject) => {
    let err = '';
    const onData = (d: Buffer) => {
      err += d.toString('utf8');
      if (pattern.test(err)) done();
    };
    const onExit = (code: number | null) => done(new Error(`proxy exited (${code}): ${err}`));
    const t = setTimeout(
      () => done(new Error(`proxy did not log ${pattern} in ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    const done = (e?: Error) => {
      clearTimeout(t);
      child.stderr.off('data', onData);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve();
    };
    child.stderr.on('data', onData);
    child.on('exit', onExit);
  });
}

function stat(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}: `));
  return line === undefined ? 0 : Number(line.slice(name.length + 2));
}

describe('traffic capture with real iptables (root)', () => {
  let ns: TestNetns | undefined;
  let dir: string | undefined;
  let app: App;
  let rules: InterceptionRules;
  let proxyLog = '';

  const stats = async (): Promise<string> => {
    const r = await app.get('127.0.0.1', ADMIN, '/stats', 'new');
    if (r.status !== 200) throw new Error(`admin /stats: ${JSON.stringify(r)}`);
    return r.body ?? '';
  };

  beforeAll(async () => {
    requireRoot(); // fails (NETFILTER_ERR_NOT_ROOT), never skips
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run pnpm --filter @strait/proxy... build first`);
    ns = await createTestNetns();
    dir = mkdtempSync(join(tmpdir(), 'strait-capture-'));
    chmodSync(dir, 0o755); // uid 1337 reads the bootstrap
    writeFileSync(join(dir, 'upstream.cjs'), UPSTREAM);
    writeFileSync(join(dir, 'app.cjs'), APP);
    writeFileSync(join(dir, 'bootstrap.yaml'), bootstrap());

    const up = ns.spawn(
      [process.execPath, join(dir, 'upstream.cjs'), ns.peerAddress, String(SERVICE_PORT), String(RAW_PORT)],
      { peer: true },
    );
    await waitForLine(up, /upstream ready/);

    const proxy = ns.spawn([
      'setpriv',
      '--reuid=1337',
      '--regid=1337',
      '--clear-groups',
      process.execPath,
      bin,
      '--bootstrap',
      join(dir, 'bootstrap.yaml'),
      '--prometheus-address',
      'off',
      '--drain-time-s',
      '2',
    ]);
    proxy.stderr.on('data', (d: Buffer) => {
      if (proxyLog.length < 64 * 1024) proxyLog += d.toString('utf8');
    });
    await waitForStderr(proxy, /listener "virtualOutbound" on 0\.0\.0\.0:15001/, 15_000);

    const appChild = ns.spawn([process.execPath, join(dir, 'app.cjs'), String(APP_PORT)]);
    await waitForLine(appChild, /app ready/);
    app = new App(appChild);

    rules = buildRules(); // defaults: proxy uid/gid 1337, outbound to 15001, inbound to 15006
    await apply(rules, { netns: ns.name });
  }, 60_000);

  afterAll(async () => {
    try {
      if (ns !== undefined) await remove(rules ?? buildRules(), { netns: ns.name }).catch(() => {});
    } finally {
      // Kills the upstream, the proxy and the app, and deletes both namespaces (rules go with them).
      await ns?.destroy();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it("sends the app's outbound HTTP through the proxy to the real upstream (use_original_dst hand-off, ORIGINAL_DST cluster)", async () => {
    const before = await stats();
    const r = await app.get(ns!.peerAddress, SERVICE_PORT, '/via-capture', 'ka');
    expect(r.error, proxyLog).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.headers?.['x-strait-proxy']).toBe('svc'); // added by the 0.0.0.0_8080 listener's route
    expect(JSON.parse(r.body ?? '{}')).toEqual({ port: SERVICE_PORT, url: '/via-capture', captured: 'yes' });
    const after = await stats();
    expect(stat(after, 'listener.0.0.0.0_15001.downstream_cx_handed_off')).toBeGreaterThan(
      stat(before, 'listener.0.0.0.0_15001.downstream_cx_handed_off'),
    );
    expect(stat(after, 'cluster.PassthroughCluster.upstream_rq_total')).toBeGreaterThan(
      stat(before, 'cluster.PassthroughCluster.upstream_rq_total'),
    );
    expect(stat(after, 'http.svc.downstream_rq_total')).toBeGreaterThan(
      stat(before, 'http.svc.downstream_rq_total'),
    );
  });

  it("keeps a port with no listener on the capture listener's own chain (tcp_proxy to PassthroughCluster)", async () => {
    const before = await stats();
    const r = await app.get(ns!.peerAddress, RAW_PORT, '/raw', 'new');
    expect(r.error, proxyLog).toBeUndefined();
    expect(r.headers?.['x-strait-proxy']).toBeUndefined(); // no HTTP processing: plain TCP passthrough
    expect(JSON.parse(r.body ?? '{}')).toEqual({ port: RAW_PORT, url: '/raw', captured: null });
    const after = await stats();
    expect(stat(after, 'tcp.PassthroughCluster.downstream_cx_total')).toBeGreaterThan(
      stat(before, 'tcp.PassthroughCluster.downstream_cx_total'),
    );
  });

  it('captures inbound connections on 15006 and picks the filter chain by original destination port', async () => {
    const r = await ns!.exec(
      ['curl', '-sS', '-i', '--max-time', '5', `http://${ns!.address}:${APP_PORT}/inbound`],
      { peer: true },
    );
    expect(r.status, `${r.stderr}\n${proxyLog}`).toBe(0);
    expect(r.stdout).toMatch(/^x-strait-proxy: inbound\r?$/m);
    const body = r.stdout.slice(r.stdout.indexOf('{'));
    expect(JSON.parse(body)).toEqual({ app: true, url: '/inbound', inbound: 'yes' });
    expect(stat(await stats(), 'http.inbound.downstream_rq_total')).toBeGreaterThan(0);
  });

  it('closes a connection that was not redirected (dialled 15001 directly) and counts it', async () => {
    const before = stat(await stats(), 'listener.0.0.0.0_15001.downstream_cx_not_redirected');
    const r = await app.send({ op: 'raw', host: '127.0.0.1', port: 15001 });
    expect(r).toMatchObject({ closed: true, data: '' });
    expect(stat(await stats(), 'listener.0.0.0.0_15001.downstream_cx_not_redirected')).toBe(before + 1);
  });

  it('detach: new connections go direct while the proxy keeps serving a captured keep-alive connection; then remove', async () => {
    const first = await app.get(ns!.peerAddress, SERVICE_PORT, '/ka-1', 'ka');
    expect(first.headers?.['x-strait-proxy']).toBe('svc');

    await detach(rules, { netns: ns!.name });
    expect(await isApplied(rules, { netns: ns!.name })).toBe(false);

    const direct = await app.get(ns!.peerAddress, SERVICE_PORT, '/direct', 'new');
    expect(direct.status).toBe(200);
    expect(direct.headers?.['x-strait-proxy']).toBeUndefined();
    expect(JSON.parse(direct.body ?? '{}')).toMatchObject({ url: '/direct', captured: null });

    // The keep-alive connection captured before detach still flows through the proxy (lossless).
    const inflight = await app.get(ns!.peerAddress, SERVICE_PORT, '/ka-2', 'ka');
    expect(inflight.reused).toBe(true);
    expect(inflight.headers?.['x-strait-proxy']).toBe('svc');
    expect(JSON.parse(inflight.body ?? '{}')).toMatchObject({ url: '/ka-2', captured: 'yes' });

    await remove(rules, { netns: ns!.name });
    const afterRemove = await app.get(ns!.peerAddress, SERVICE_PORT, '/after-remove', 'new');
    expect(afterRemove.headers?.['x-strait-proxy']).toBeUndefined();
    expect(JSON.parse(afterRemove.body ?? '{}')).toMatchObject({ url: '/after-remove', captured: null });
  });
});
