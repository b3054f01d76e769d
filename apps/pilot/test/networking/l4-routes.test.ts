// The outbound listener of a TLS port and of a TCP port, built from Istio config by the real builders:
// SNI chains from `tls` routes (weights, port / sourceLabels / sourceNamespace / gateways matches,
// destinationSubnets), the service's own SNI chain when no route applies, the fallthrough; and the
// `tcp` route chains (subnets, catch-all order).
import { type envoy, toEnvoyJson } from '@strait/xds';
import { describe, expect, it } from 'vitest';
import type { ProxyInfo } from '../../src/model/proxy.js';
import { buildPushContext } from '../../src/model/push-context.js';
import { generateListeners } from '../../src/networking/index.js';
import { notApplied } from '../../src/networking/not-applied.js';
import { configFromYaml } from '../helpers/yaml-config.js';

const SERVICES = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: edge, namespace: default }
spec:
  hosts: [edge.test]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{ number: 443, name: tls, protocol: TLS }]
  endpoints: [{ address: 10.0.0.1 }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: a, namespace: default }
spec:
  hosts: [a.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 8443, name: tls, protocol: TLS }]
  endpoints: [{ address: 10.0.0.2 }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: b, namespace: default }
spec:
  hosts: [b.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 8443, name: tls, protocol: TLS }]
  endpoints: [{ address: 10.0.0.3 }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: db, namespace: default }
spec:
  hosts: [db.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 5432, name: tcp, protocol: TCP }]
  endpoints: [{ address: 10.0.0.4 }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: replica, namespace: default }
spec:
  hosts: [replica.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 5432, name: tcp, protocol: TCP }]
  endpoints: [{ address: 10.0.0.5 }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: web, namespace: default }
spec:
  hosts: [web.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 8080, name: http, protocol: HTTP }]
  endpoints: [{ address: 10.0.0.6 }]
`;

const proxy = (labels: Record<string, string> = { app: 'client' }, namespace = 'default'): ProxyInfo => ({
  id: `sidecar~10.0.0.9~client.${namespace}~${namespace}.svc.cluster.local`,
  type: 'sidecar',
  namespace,
  labels,
  ips: ['10.0.0.9'],
  app: 'client',
});

interface Json {
  [k: string]: unknown;
}

function context(vs: string) {
  return buildPushContext({
    version: 't',
    architecture: 'three-in-one',
    registryName: 'embedded',
    config: configFromYaml(`${SERVICES}---${vs}`),
    instances: new Map(),
  });
}

function listener(vs: string, port: number, p = proxy()): Json {
  const ctx = context(vs);
  const [l] = generateListeners(ctx, p, { wildcard: false, names: [`0.0.0.0_${port}`] });
  expect(l).toBeDefined();
  return toEnvoyJson(
    'envoy.config.listener.v3.Listener',
    l as envoy.config.listener.v3.Listener.$Properties,
  ) as Json;
}

/** Each chain as "match => target" (cluster, or weighted clusters as name:weight). */
function summary(l: Json): string[] {
  const chains: [string, Json][] = (l['filter_chains'] as Json[]).map((c) => ['', c]);
  if (l['default_filter_chain']) chains.push(['default ', l['default_filter_chain'] as Json]);
  return chains.map(([tag, c]) => {
    const m = (c['filter_chain_match'] ?? {}) as Json;
    const parts: string[] = [];
    if (m['server_names']) parts.push(`sni=${(m['server_names'] as string[]).join(',')}`);
    if (m['transport_protocol']) parts.push(`tp=${m['transport_protocol']}`);
    if (m['destination_port']) parts.push(`port=${m['destination_port']}`);
    if (m['prefix_ranges'])
      parts.push(
        `dst=${(m['prefix_ranges'] as Json[]).map((r) => `${r['address_prefix']}/${r['prefix_len']}`).join(',')}`,
      );
    const tcp = ((c['filters'] as Json[])[0]!['typed_config'] ?? {}) as Json;
    const wc = tcp['weighted_clusters'] as { clusters: { name: string; weight: number }[] } | undefined;
    const target = wc ? wc.clusters.map((x) => `${x.name}:${x.weight}`).join(' ') : String(tcp['cluster']);
    return `${tag}${parts.join(' ') || '*'} => ${target}`;
  });
}

const TLS_VS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: default }
spec:
  hosts: [edge.test, "*.example.com"]
  tls:
    - match: [{ sniHosts: [a.example.com], port: 443 }]
      route: [{ destination: { host: a.internal, port: { number: 8443 } } }]
    - match: [{ sniHosts: [b.example.com, A.example.com] }]
      route: [{ destination: { host: b.internal, port: { number: 8443 } } }]
    - match: [{ sniHosts: ["*.split.example.com"] }]
      route:
        - { destination: { host: a.internal, port: { number: 8443 } }, weight: 75 }
        - { destination: { host: b.internal, port: { number: 8443 } }, weight: 25 }
    - match: [{ sniHosts: [canary.example.com], sourceLabels: { track: canary } }]
      route: [{ destination: { host: b.internal, port: { number: 8443 } } }]
    - match: [{ sniHosts: [ns.example.com], sourceNamespace: other }]
      route: [{ destination: { host: b.internal, port: { number: 8443 } } }]
    - match: [{ sniHosts: [gw.example.com], gateways: [edge-gateway] }]
      route: [{ destination: { host: b.internal, port: { number: 8443 } } }]
    - match: [{ sniHosts: [net.example.com], destinationSubnets: [192.168.0.0/16, 10.1.2.3] }]
      route: [{ destination: { host: a.internal, port: { number: 8443 } } }]
    - match: [{ sniHosts: [wrongport.example.com], port: 8443 }]
      route: [{ destination: { host: a.internal, port: { number: 8443 } } }]
`;

describe('outbound TLS listener', () => {
  it('routes by SNI per tls route, first match wins per name, with the TLS inspector and a fallthrough', () => {
    const l = listener(TLS_VS, 443);
    expect((l['listener_filters'] as Json[]).map((f) => f['name'])).toEqual([
      'envoy.filters.listener.tls_inspector',
    ]);
    expect(summary(l)).toEqual([
      'sni=a.example.com tp=tls port=443 => outbound|8443||a.internal',
      // a.example.com was claimed by the first route: only b.example.com is left here.
      'sni=b.example.com tp=tls port=443 => outbound|8443||b.internal',
      'sni=*.split.example.com tp=tls port=443 => outbound|8443||a.internal:75 outbound|8443||b.internal:25',
      'sni=net.example.com tp=tls port=443 dst=192.168.0.0/16,10.1.2.3/32 => outbound|8443||a.internal',
      // edge.test has tls routes, so it gets no SNI = host chain; its TCP chain takes the rest.
      'port=443 => outbound|443||edge.test',
    ]);
  });

  it('applies sourceLabels and sourceNamespace matches per proxy', () => {
    const canary = summary(listener(TLS_VS, 443, proxy({ app: 'client', track: 'canary' })));
    expect(canary).toContain('sni=canary.example.com tp=tls port=443 => outbound|8443||b.internal');
    const other = summary(listener(TLS_VS, 443, proxy({ app: 'client' }, 'other')));
    expect(other).toContain('sni=ns.example.com tp=tls port=443 => outbound|8443||b.internal');
    expect(other.some((c) => c.includes('canary'))).toBe(false);
  });

  it('gives services without applicable tls routes an SNI = host chain to their own cluster', () => {
    // Port 8443: a.internal and b.internal have no VirtualService.
    expect(summary(listener(TLS_VS, 8443))).toEqual([
      'sni=a.internal tp=tls port=8443 => outbound|8443||a.internal',
      'sni=b.internal tp=tls port=8443 => outbound|8443||b.internal',
      // Not TLS, or another SNI: the port's first service by host.
      'port=8443 => outbound|8443||a.internal',
    ]);
  });

  it("sends what no SNI chain matches to the service's tcp routes (Istio appends TCP chains to TLS ports)", () => {
    const tcp = `
    - match: [{ destinationSubnets: [172.16.0.0/12] }]
      route: [{ destination: { host: b.internal, port: { number: 8443 } } }]
    - route: [{ destination: { host: a.internal, port: { number: 8443 } } }]`;
    expect(summary(listener(`${TLS_VS}  tcp:${tcp}`, 443)).slice(-2)).toEqual([
      'port=443 dst=172.16.0.0/12 => outbound|8443||b.internal',
      'port=443 => outbound|8443||a.internal',
    ]);
  });
});

describe('outbound TCP listener', () => {
  const vs = (tcp: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: db, namespace: default }
spec:
  hosts: [db.test]
  tcp:
${tcp}`;

  it('emits a chain per destinationSubnets match and stops at the first catch-all', () => {
    const l = listener(
      vs(`    - match: [{ destinationSubnets: [10.9.0.0/16] }, { destinationSubnets: [10.8.0.0/16] }]
      route: [{ destination: { host: replica.test } }]
    - match: [{ sourceLabels: { app: client } }]
      route:
        - { destination: { host: db.test }, weight: 90 }
        - { destination: { host: replica.test }, weight: 10 }
    - route: [{ destination: { host: replica.test } }]`),
      5432,
    );
    expect(summary(l)).toEqual([
      'dst=10.9.0.0/16,10.8.0.0/16 => outbound|5432||replica.test',
      '* => outbound|5432||db.test:90 outbound|5432||replica.test:10',
    ]);
    expect(l['listener_filters']).toBeUndefined();
  });

  it('falls back to the service when no tcp route applies (other port, other namespace, gateway only)', () => {
    const l = listener(
      vs(`    - match: [{ port: 9999 }, { sourceNamespace: elsewhere }, { gateways: [edge] }]
      route: [{ destination: { host: replica.test } }]`),
      5432,
    );
    expect(summary(l)).toEqual(['* => outbound|5432||db.test']);
  });

  it('a single destination is its cluster whatever its weight; zero-weight destinations are dropped', () => {
    const l = listener(
      vs(`    - route:
        - { destination: { host: db.test }, weight: 100 }
        - { destination: { host: replica.test }, weight: 0 }`),
      5432,
    );
    expect(summary(l)).toEqual(['* => outbound|5432||db.test']);
  });
});

describe('tcp and tls routes that cannot apply are reported', () => {
  it('names tls routes on a TCP-only host and tcp routes on an HTTP-only host; not routes that apply', () => {
    const vs = (name: string, host: string, kind: 'tls' | 'tcp') => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: default }
spec:
  hosts: [${host}${kind === 'tls' ? ', "*.example.com"' : ''}]
  ${kind}:
    - ${kind === 'tls' ? 'match: [{ sniHosts: [x.example.com] }]\n      ' : ''}route: [{ destination: { host: ${host} } }]
`;
    const ctx = context(
      [
        vs('db-tls', 'db.test', 'tls'),
        vs('web-tcp', 'web.test', 'tcp'),
        vs('edge-tcp', 'edge.test', 'tcp'),
        TLS_VS,
      ].join('---'),
    );
    expect(notApplied(ctx)).toEqual([
      {
        object: 'VirtualService/default/db-tls',
        field: 'spec.tls',
        reason: 'tls routes apply only to TLS or HTTPS ports, and none of db.test has one',
      },
      {
        object: 'VirtualService/default/web-tcp',
        field: 'spec.tcp',
        reason: 'tcp routes apply only to TCP, TLS or HTTPS ports, and none of web.test has one',
      },
    ]);
  });
});
