// Accepted config the architecture cannot apply is listed (for the log and /debug/configz), never
// silently dropped: localityLbSetting in scale-out, where proxies compute endpoints themselves.
import { type ConfigObject, validate } from '@strait/config';
import { describe, expect, it } from 'vitest';
import { type Architecture, buildPushContext } from '../../src/model/push-context.js';
import { notApplied } from '../../src/networking/not-applied.js';
import { configFromYaml } from '../helpers/yaml-config.js';

function rule(): ConfigObject {
  const r = validate({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      host: 'web.test',
      trafficPolicy: {
        outlierDetection: { consecutive5xxErrors: 3 },
        loadBalancer: { localityLbSetting: { failover: [{ from: 'us', to: 'eu' }] } },
      },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        {
          name: 'v2',
          labels: { version: 'v2' },
          trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: false } } },
        },
      ],
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.object;
}

const ctx = (architecture: Architecture) =>
  buildPushContext({ version: 't', architecture, config: [rule()], instances: new Map() });

describe('notApplied', () => {
  it('names each localityLbSetting in scale-out, with object and field', () => {
    expect(notApplied(ctx('scale-out'))).toEqual([
      expect.objectContaining({
        object: 'DestinationRule/shop/web',
        field: 'spec.trafficPolicy.loadBalancer.localityLbSetting',
        reason: expect.stringContaining('scale-out'),
      }),
      expect.objectContaining({ field: 'spec.subsets[1].trafficPolicy.loadBalancer.localityLbSetting' }),
    ]);
  });

  it('is empty where the pilot serves EDS', () => {
    expect(notApplied(ctx('three-in-one'))).toEqual([]);
    expect(notApplied(ctx('colocated'))).toEqual([]);
  });
});

describe('notApplied: proxyless gRPC clients', () => {
  const config = configFromYaml(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api, namespace: shop }
spec:
  hosts: [api.test]
  http:
  - corsPolicy: { allowOrigins: [{ exact: https://a.test }] }
    route: [{ destination: { host: api.test } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: api, namespace: shop }
spec:
  host: api.test
  trafficPolicy: { tls: { mode: SIMPLE } }
  subsets:
  - { name: v1, labels: { v: "1" }, trafficPolicy: { tls: { mode: DISABLE } } }
`);
  const context = buildPushContext({
    version: 't',
    architecture: 'three-in-one',
    config,
    instances: new Map(),
  });

  it('lists CORS and upstream TLS they do not get, only when such clients are connected', () => {
    expect(notApplied(context)).toEqual([]);
    expect(notApplied(context, true)).toEqual([
      expect.objectContaining({ object: 'VirtualService/shop/api', field: 'spec.http[0].corsPolicy' }),
      expect.objectContaining({ object: 'DestinationRule/shop/api', field: 'spec.trafficPolicy.tls.mode' }),
    ]);
  });
});
