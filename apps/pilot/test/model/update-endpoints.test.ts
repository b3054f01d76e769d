// An endpoint-only update of a push context must equal a context built from scratch, and must give up
// (undefined) whenever the change is more than endpoints.
import type { Instance } from '@strait/registry';
import { describe, expect, it } from 'vitest';
import { buildPushContext, type PushContextInput, updateEndpoints } from '../../src/model/push-context.js';
import { configFromYaml } from '../helpers/yaml-config.js';

const CONFIG = configFromYaml(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: api, namespace: default }
spec:
  hosts: [api.test]
  resolution: STATIC
  workloadSelector: { labels: { app: api } }
  ports: [{ number: 80, name: http, protocol: HTTP }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: fixed, namespace: default }
spec:
  hosts: [fixed.test]
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  endpoints: [{ address: 10.0.0.1 }]
`);

function instance(service: string, address: string, labels: Record<string, string>, port = 80): Instance {
  return {
    id: `${address}:${port}`,
    service,
    address,
    port,
    protocol: 'http',
    weight: 1,
    health: 'healthy',
    labels,
    application: service,
    interfaces: [],
    metadata: {},
  };
}

function input(version: string, instances: Record<string, Instance[]>): PushContextInput {
  return {
    version,
    architecture: 'three-in-one',
    config: CONFIG,
    instances: new Map(Object.entries(instances)),
  };
}

const base = {
  'api.test': [
    instance('api.test', '10.1.0.1', { app: 'api' }),
    instance('api.test', '10.1.0.2', { app: 'other' }),
  ],
  'reg.test': [instance('reg.test', '10.2.0.1', {})],
  'fixed.test': [instance('fixed.test', '10.4.0.1', {})],
};

describe('updateEndpoints', () => {
  it('equals a full build after endpoints of a ServiceEntry host and a registry service change', () => {
    const prev = buildPushContext(input('1', base));
    const changed = {
      'api.test': [...base['api.test'], instance('api.test', '10.1.0.3', { app: 'api' })],
      'reg.test': [instance('reg.test', '10.2.0.1', {}), instance('reg.test', '10.2.0.2', {})],
      'fixed.test': [],
    };
    const next = updateEndpoints(prev, input('2', changed), ['api.test', 'reg.test', 'fixed.test']);
    const full = buildPushContext(input('2', changed));
    expect(next).toBeDefined();
    expect(next?.version).toBe('2');
    expect(next?.endpoints).toEqual(full.endpoints);
    expect(next?.services).toEqual(full.services);
    // The selector still applies: the `app: other` instance is not an endpoint of api.test.
    expect(next?.endpoints.get('api.test')?.map((e) => e.address)).toEqual(['10.1.0.1', '10.1.0.3']);
    // A ServiceEntry's own endpoints stay when its registry instances go.
    expect(next?.endpoints.get('fixed.test')?.map((e) => e.address)).toEqual(['10.0.0.1']);
    // Everything else is shared with the previous context.
    expect(next?.services).toBe(prev.services);
  });

  it('gives up when a registry service vanishes, appears or changes ports, or the config changed', () => {
    const prev = buildPushContext(input('1', base));
    expect(updateEndpoints(prev, input('2', { ...base, 'reg.test': [] }), ['reg.test'])).toBeUndefined();
    expect(
      updateEndpoints(prev, input('2', { ...base, 'new.test': [instance('new.test', '10.3.0.1', {})] }), [
        'new.test',
      ]),
    ).toBeUndefined();
    expect(
      updateEndpoints(prev, input('2', { ...base, 'reg.test': [instance('reg.test', '10.2.0.1', {}, 81)] }), [
        'reg.test',
      ]),
    ).toBeUndefined();
    const otherConfig = { ...input('2', base), config: [...CONFIG] };
    expect(updateEndpoints(prev, otherConfig, ['api.test'])).toBeUndefined();
  });
});
