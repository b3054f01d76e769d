import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import {
  adminGet,
  httpBootstrap,
  httpUpstream,
  listen,
  request,
  startProxy,
  staticCluster,
  type Upstream,
} from '../helpers/harness.js';

function statValue(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[.|]/g, '\\$&')}: (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

describe('timeouts, retries, faults, mirrors, weights, circuit breakers, outlier detection', () => {
  let ok: Upstream;
  let flaky: Upstream & { failures: number };
  let slow: Upstream;
  let shadow: Upstream & { seen: string[] };
  let bad: Upstream;
  let weighted1: Upstream;
  let weighted2: Upstream;
  let deadPort: number;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    ok = await httpUpstream('ok');
    const failures = 0;
    flaky = Object.assign(
      await httpUpstream('flaky', (_req, res) => {
        if (flaky.failures > 0) {
          flaky.failures--;
          res.writeHead(503).end('busy');
        } else res.end('recovered');
      }),
      { failures },
    );
    void failures;
    slow = await httpUpstream('slow', (req, res) => {
      const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
      setTimeout(() => res.end('slow done'), ms);
    });
    shadow = Object.assign(
      await httpUpstream('shadow', (req, res) => {
        shadow.seen.push(`${req.headers.host} ${req.url}`);
        res.end('shadow');
      }),
      { seen: [] as string[] },
    );
    bad = await httpUpstream('bad', (_req, res) => {
      res.writeHead(500).end('boom');
    });
    weighted1 = await httpUpstream('w1', (_q, r) => r.end('w1'));
    weighted2 = await httpUpstream('w2', (_q, r) => r.end('w2'));
    // A port with nothing listening: connect failures.
    const tmp = net.createServer();
    deadPort = await listen(tmp);
    await new Promise<void>((r) => tmp.close(() => r()));

    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes:
    - match: { prefix: "/retry" }
      route: { cluster: flaky, retry_policy: { retry_on: "5xx", num_retries: 3, retry_back_off: { base_interval: 0.005s } } }
    - match: { prefix: "/budget" }
      route: { cluster: budgeted, retry_policy: { retry_on: "5xx", num_retries: 3, retry_back_off: { base_interval: 0.005s } } }
    - match: { prefix: "/timeout" }
      route: { cluster: slow, timeout: 0.2s }
    - match: { prefix: "/pertry" }
      route: { cluster: slow, timeout: 2s, retry_policy: { retry_on: "5xx", num_retries: 1, per_try_timeout: 0.1s } }
    - match: { prefix: "/connect-fail" }
      route: { cluster: mixed, retry_policy: { retry_on: "connect-failure", num_retries: 2, retry_back_off: { base_interval: 0.001s } } }
    - match: { prefix: "/dead" }
      route: { cluster: dead }
    - match: { prefix: "/abort" }
      route: { cluster: ok }
      typed_per_filter_config:
        envoy.filters.http.fault:
          "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
          abort: { http_status: 429, percentage: { numerator: 100 } }
    - match: { prefix: "/delay" }
      route: { cluster: ok }
      typed_per_filter_config:
        envoy.filters.http.fault:
          "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
          delay: { fixed_delay: 0.15s, percentage: { numerator: 100 } }
    - match: { prefix: "/mirror" }
      route: { cluster: ok, request_mirror_policies: [{ cluster: shadow }] }
    - match: { prefix: "/weighted" }
      route: { weighted_clusters: { clusters: [{ name: w1, weight: 75 }, { name: w2, weight: 25 }] } }
    - match: { prefix: "/outlier" }
      route: { cluster: outlier }
    - match: { prefix: "/cb" }
      route: { cluster: tiny, timeout: 2s }
    - match: { prefix: "/" }
      route: { cluster: ok }`,
        staticCluster('ok', [ok.port]) +
          staticCluster('flaky', [flaky.port]) +
          staticCluster('slow', [slow.port]) +
          // A retry budget of 0% with no minimum: the budget, not max_retries, decides, and allows none.
          staticCluster(
            'budgeted',
            [flaky.port],
            'circuit_breakers: { thresholds: [{ max_retries: 100, retry_budget: { budget_percent: { value: 0 }, min_retry_concurrency: 0 } }] }',
          ) +
          staticCluster('shadow', [shadow.port]) +
          staticCluster('mixed', [deadPort, ok.port], 'lb_policy: ROUND_ROBIN') +
          staticCluster('dead', [deadPort]) +
          staticCluster('w1', [weighted1.port]) +
          staticCluster('w2', [weighted2.port]) +
          staticCluster(
            'outlier',
            [bad.port, ok.port],
            'outlier_detection: { consecutive_5xx: 3, interval: 1s, base_ejection_time: 30s, max_ejection_percent: 50 }',
          ) +
          staticCluster(
            'tiny',
            [slow.port],
            'circuit_breakers: { thresholds: [{ max_requests: 1, max_pending_requests: 1 }] }',
          ),
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    for (const u of [ok, flaky, slow, shadow, bad, weighted1, weighted2]) await u.close();
  });

  it('retries 5xx up to num_retries and succeeds', async () => {
    flaky.failures = 2;
    const r = await request(port, { path: '/retry' });
    expect([r.status, r.body]).toEqual([200, 'recovered']);
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(statValue(stats, 'cluster.flaky.upstream_rq_retry')).toBe(2);
    expect(statValue(stats, 'cluster.flaky.upstream_rq_retry_success')).toBe(1);
    flaky.failures = 10;
    const r2 = await request(port, { path: '/retry' });
    expect(r2.status).toBe(503);
    flaky.failures = 0;
  });

  it('a retry budget caps concurrent retries instead of max_retries', async () => {
    flaky.failures = 2;
    const r = await request(port, { path: '/budget' });
    // No retry was allowed, so the first 503 is the answer and the upstream still owes one failure.
    expect(r.status).toBe(503);
    expect(flaky.failures).toBe(1);
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(statValue(stats, 'cluster.budgeted.upstream_rq_retry_overflow')).toBe(1);
    expect(statValue(stats, 'cluster.budgeted.upstream_rq_retry')).toBe(0);
    flaky.failures = 0;
  });

  it('enforces the route timeout with 504 and the per-try timeout with a retry', async () => {
    const t0 = Date.now();
    const r = await request(port, { path: '/timeout?ms=1000' });
    expect(r.status).toBe(504);
    expect(r.body).toBe('upstream request timeout');
    expect(Date.now() - t0).toBeLessThan(800);
    const p = await request(port, { path: '/pertry?ms=500' });
    expect(p.status).toBe(504);
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(statValue(stats, 'cluster.slow.upstream_rq_per_try_timeout')).toBe(2);
    expect(statValue(stats, 'cluster.slow.upstream_rq_timeout')).toBe(1);
  });

  it('retries connect failures on another host, and reports UF when there is none', async () => {
    for (let i = 0; i < 4; i++) expect((await request(port, { path: '/connect-fail' })).status).toBe(200);
    const d = await request(port, { path: '/dead' });
    expect(d.status).toBe(503);
    expect(d.body).toContain('connection failure');
  });

  it('injects aborts and delays from typed_per_filter_config', async () => {
    const a = await request(port, { path: '/abort' });
    expect([a.status, a.body]).toEqual([429, 'fault filter abort']);
    const t0 = Date.now();
    const d = await request(port, { path: '/delay' });
    expect(d.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(statValue(stats, 'http.outbound_http.fault.aborts_injected')).toBe(1);
    expect(statValue(stats, 'http.outbound_http.fault.delays_injected')).toBe(1);
  });

  it('mirrors requests to the shadow cluster with a -shadow authority', async () => {
    const r = await request(port, {
      path: '/mirror/x',
      method: 'POST',
      body: 'payload',
      headers: { host: 'svc:8080' },
    });
    expect(r.status).toBe(200);
    for (let i = 0; i < 50 && shadow.seen.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
    expect(shadow.seen).toEqual(['svc-shadow:8080 /mirror/x']);
  });

  it('splits traffic by weighted_clusters', async () => {
    const counts: Record<string, number> = { w1: 0, w2: 0 };
    for (let i = 0; i < 200; i++) counts[(await request(port, { path: '/weighted' })).body]!++;
    expect(counts['w1']).toBeGreaterThan(115);
    expect(counts['w2']).toBeGreaterThan(20);
  });

  it('ejects a host after consecutive 5xx (outlier detection) and shows it in /clusters', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 20; i++) codes.push((await request(port, { path: '/outlier' })).status);
    // After 3 consecutive 500s from the bad host it is ejected: the tail is all 200.
    expect(codes.slice(-10).every((c) => c === 200)).toBe(true);
    const clusters = (await adminGet(proxy, '/clusters')).body;
    expect(clusters).toContain(`outlier::127.0.0.1:${bad.port}::health_flags::/failed_outlier_check`);
    expect(clusters).toContain(`outlier::127.0.0.1:${ok.port}::health_flags::healthy`);
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(statValue(stats, 'cluster.outlier.outlier_detection.ejections_active')).toBe(1);
  });

  it('trips the max_requests circuit breaker with 503 and an overflow counter', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => request(port, { path: '/cb?ms=300' })));
    const codes = results.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(1);
    expect(codes.filter((c) => c === 503).length).toBeGreaterThanOrEqual(1);
    const stats = (await adminGet(proxy, '/stats')).body;
    expect(
      statValue(stats, 'cluster.tiny.upstream_rq_overflow') +
        statValue(stats, 'cluster.tiny.upstream_rq_pending_overflow'),
    ).toBeGreaterThan(0);
  });
});
