// HTTP route match entries that name a source namespace or gateways apply only where Istio applies
// them: sourceNamespace to proxies of that namespace, gateways to sidecars only when they include "mesh".
import { describe, expect, it } from 'vitest';
import type { ProxyInfo } from '../../src/model/proxy.js';
import { buildPushContext } from '../../src/model/push-context.js';
import { generateRoutes } from '../../src/networking/index.js';
import { configFromYaml } from '../helpers/yaml-config.js';

const CONFIG = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: api, namespace: default }
spec:
  hosts: [api.test]
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  endpoints: [{ address: 10.0.0.1 }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api, namespace: default }
spec:
  hosts: [api.test]
  gateways: [mesh, edge-gw]
  http:
  - name: from-team-a
    match: [{ sourceNamespace: team-a, uri: { prefix: /a } }]
    route: [{ destination: { host: api.test } }]
  - name: gateway-only
    match: [{ gateways: [edge-gw], uri: { prefix: /gw } }]
    route: [{ destination: { host: api.test } }]
  - name: mesh-and-gateway
    match: [{ gateways: [mesh, edge-gw], uri: { prefix: /both } }]
    route: [{ destination: { host: api.test } }]
  - name: default
    route: [{ destination: { host: api.test } }]
`;

const proxy = (namespace: string): ProxyInfo => ({
  id: `sidecar~10.0.0.9~client.${namespace}~${namespace}.svc.cluster.local`,
  type: 'sidecar',
  namespace,
  labels: {},
  ips: ['10.0.0.9'],
  app: 'client',
});

function routeNames(namespace: string): string[] {
  const ctx = buildPushContext({
    version: 't',
    architecture: 'three-in-one',
    config: configFromYaml(CONFIG),
    instances: new Map(),
  });
  const [rc] = generateRoutes(ctx, proxy(namespace), { wildcard: false, names: ['80'] });
  const vh = rc?.virtualHosts?.find((v) => v.name === 'api.test:80');
  return (vh?.routes ?? []).map((r) => r.name ?? '');
}

describe('HTTP match scope', () => {
  it('keeps a sourceNamespace match for proxies of that namespace only', () => {
    expect(routeNames('team-a')).toContain('from-team-a');
    expect(routeNames('team-b')).not.toContain('from-team-a');
  });

  it('drops match entries for other gateways and keeps those that include mesh', () => {
    const names = routeNames('team-b');
    expect(names).not.toContain('gateway-only');
    expect(names).toContain('mesh-and-gateway');
    expect(names).toContain('default');
  });
});
