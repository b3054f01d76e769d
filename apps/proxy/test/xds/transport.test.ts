import { describe, expect, it } from 'vitest';
import { parseBootstrap } from '../../src/config/bootstrap.js';
import { resolveXdsTarget } from '../../src/xds/transport.js';

const ads = (apiType: string, service: string, extra = '') =>
  parseBootstrap(`
node: { id: n }
dynamic_resources:
  ads_config:
    api_type: ${apiType}
    transport_api_version: V3
    grpc_services: [${service}]
  cds_config: { ads: {}, resource_api_version: V3${extra} }
static_resources:
  clusters:
    - name: xds
      type: STATIC
      load_assignment:
        cluster_name: xds
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 10.0.0.9, port_value: 15010 } } } }] }]
`);

describe('resolveXdsTarget', () => {
  it('reads the ADS cluster, the variant, the initial fetch timeout and the retry back-off', () => {
    const b = ads(
      'GRPC',
      '{ envoy_grpc: { cluster_name: xds, retry_policy: { retry_back_off: { base_interval: 0.1s, max_interval: 3s } } } }',
      ', initial_fetch_timeout: 2s',
    );
    expect(resolveXdsTarget(b)).toEqual({
      target: '10.0.0.9:15010',
      variant: 'sotw',
      initialFetchTimeoutMs: 2000,
      backoff: { baseMs: 100, maxMs: 3000 },
    });
  });

  it('DELTA_GRPC is Delta; google_grpc.target_uri and --xds-address (unix sockets too) give the address', () => {
    const g = ads('DELTA_GRPC', '{ google_grpc: { target_uri: "unix:///run/xds.sock", stat_prefix: ads } }');
    expect(resolveXdsTarget(g)).toMatchObject({ target: 'unix:///run/xds.sock', variant: 'delta' });
    const o = ads('DELTA_GRPC', '{ envoy_grpc: { cluster_name: xds } }');
    expect(resolveXdsTarget(o, '127.0.0.1:1234')).toMatchObject({
      target: '127.0.0.1:1234',
      variant: 'delta',
    });
  });

  it('no ads_config: no xDS; REST or an unusable cluster: PROXY_ERR_XDS_TARGET', () => {
    expect(resolveXdsTarget(parseBootstrap('node: { id: n }'))).toBeUndefined();
    expect(() => resolveXdsTarget(ads('REST', '{ envoy_grpc: { cluster_name: xds } }'))).toThrow(
      expect.objectContaining({ code: 'PROXY_ERR_XDS_TARGET' }),
    );
    expect(() => resolveXdsTarget(ads('GRPC', '{ envoy_grpc: { cluster_name: nope } }'))).toThrow(
      /static cluster "nope"/,
    );
  });
});
