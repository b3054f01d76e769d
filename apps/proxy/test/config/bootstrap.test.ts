import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBootstrap } from '../../src/config/bootstrap.js';
import { ProxyError } from '../../src/errors.js';
import { translateBootstrap } from '../../src/model/bootstrap.js';

const valid = readFileSync(new URL('../fixtures/bootstrap-valid.yaml', import.meta.url), 'utf8');

describe('bootstrap loading', () => {
  it('maps Envoy snake_case YAML with @type Anys, durations and wrappers into the model', () => {
    const b = parseBootstrap(valid);
    const t = translateBootstrap(b);
    if (!t.ok) throw new Error(JSON.stringify(t.issues, null, 2));
    const m = t.value;
    expect(m.node.metadata['WORKLOAD_NAME']).toBe('productpage-v1');
    expect(m.node.locality.zone).toBe('us-east1-b');
    expect(m.adsCluster).toBe('xds-grpc');
    expect(m.admin).toEqual({ host: '127.0.0.1', port: 0 });
    const l = m.listeners[0]!;
    expect(l.direction).toBe('OUTBOUND');
    expect(l.sniff).toBe(true);
    const f = l.filterChains[0]!.filter;
    if (f.kind !== 'http_connection_manager') throw new Error('expected HCM');
    expect(f.config.requestHeadersTimeoutMs).toBe(2000);
    expect(f.config.maxRequestHeadersBytes).toBe(16 * 1024);
    expect(f.config.httpFilters.map((h) => h.kind)).toEqual(['fault', 'router']);
    expect(f.config.accessLogs[0]).toEqual({
      path: '/dev/stdout',
      format: { kind: 'json', fields: { code: '%RESPONSE_CODE%', path: '%REQ(:PATH)%' } },
    });
    if (f.config.routes.kind !== 'inline') throw new Error('expected inline routes');
    const [r0, r1] = f.config.routes.table.virtualHosts[0]!.routes;
    if (r0?.action.kind !== 'forward') throw new Error('expected forward');
    expect(r0.action.clusters.map((c) => [c.name, c.weight])).toEqual([
      ['a', 80],
      ['b', 20],
    ]);
    expect(r0.action.timeoutMs).toBe(1500);
    expect(r0.action.retry?.numRetries).toBe(2);
    expect(r0.action.retry?.perTryTimeoutMs).toBe(500);
    expect([...(r0.action.retry?.retryOn ?? [])]).toEqual(['5xx', 'connect-failure']);
    expect(r0.match.headers[0]?.match).toEqual({ kind: 'exact', value: '1', ignoreCase: false });
    expect(r1?.match.path.kind).toBe('regex');
    expect(r1?.fault?.abort).toEqual({ httpStatus: 503, probability: 1, headerControlled: false });
    const [ca, cb] = m.clusters;
    expect(ca?.lbPolicy).toBe('LEAST_REQUEST');
    expect(ca?.connectTimeoutMs).toBe(250);
    expect(ca?.circuitBreakers).toEqual({
      maxConnections: 10,
      maxPendingRequests: 1024,
      maxRequests: 1024,
      maxRetries: 1,
    });
    expect(ca?.outlierDetection?.consecutive5xx).toBe(3);
    expect(ca?.loadAssignment?.priorities.length).toBe(2);
    expect(ca?.loadAssignment?.priorities[0]?.[0]?.hosts[1]).toMatchObject({ port: 9002, weight: 3 });
    expect(cb?.protocol).toBe('http2');
  });

  it('reports every unknown field and bad value with its path', () => {
    const bad = `
static_resources:
  clusters:
    - name: a
      conect_timeout: 1s
      lb_policy: ROUND_ROBINN
      load_assignment: { cluster_name: a, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }
  listeners:
    - name: l
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains: [{ filters: [{ name: x, typed_config: { "@type": type.googleapis.com/does.not.Exist } }] }]
`;
    try {
      parseBootstrap(bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProxyError);
      const e = err as ProxyError;
      expect(e.code).toBe('PROXY_ERR_BOOTSTRAP_PARSE');
      expect(e.issues.map((i) => [i.code, i.path])).toEqual([
        ['PROXY_ERR_UNKNOWN_FIELD', 'static_resources.clusters[0].conect_timeout'],
        ['PROXY_ERR_INVALID_VALUE', 'static_resources.clusters[0].lb_policy'],
        [
          'PROXY_ERR_UNKNOWN_TYPE_URL',
          'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.@type',
        ],
      ]);
    }
  });

  it('rejects semantically invalid resources naming resource and field', () => {
    const b = parseBootstrap(`
static_resources:
  clusters:
    - name: c
      type: STATIC
      connect_timeout: 1s
      lb_policy: MAGLEV
      maglev_lb_config: { table_size: 100 }
`);
    const t = translateBootstrap(b);
    expect(t.ok).toBe(false);
    if (t.ok) return;
    // (A STATIC cluster without load_assignment is valid: zero hosts, like Istio's BlackHoleCluster.)
    expect(t.issues.map((i) => `${i.resource} ${i.path}`)).toEqual([
      'Bootstrap static_resources.clusters[0] (Cluster "c") maglev_lb_config.table_size',
    ]);
  });
});
