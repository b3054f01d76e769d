// Envoy resources for the fake-server tests, encoded by hand so a test can also build ones the pilot
// would never produce (invalid regexes, clusters without endpoints).
import { envoy, TypeUrl } from '@strait/xds';

const e = envoy;
const ADS = { ads: {}, resourceApiVersion: 2 };

export function edsCluster(name: string): Uint8Array {
  return e.config.cluster.v3.Cluster.encode({
    name,
    type: e.config.cluster.v3.Cluster.DiscoveryType.EDS,
    edsClusterConfig: { edsConfig: ADS },
    connectTimeout: { seconds: 1 },
  }).finish();
}

export function endpoints(name: string, port: number): Uint8Array {
  return e.config.endpoint.v3.ClusterLoadAssignment.encode({
    clusterName: name,
    endpoints: [
      {
        lbEndpoints: [
          { endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: port } } } },
        ],
      },
    ],
  }).finish();
}

export function httpListener(name: string, port: number, routeConfigName: string): Uint8Array {
  const hcm = e.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.encode({
    statPrefix: name,
    rds: { configSource: ADS, routeConfigName },
    httpFilters: [
      {
        name: 'envoy.filters.http.router',
        typedConfig: { type_url: TypeUrl.Router, value: new Uint8Array() },
      },
    ],
  }).finish();
  return e.config.listener.v3.Listener.encode({
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: port } },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: { type_url: TypeUrl.HttpConnectionManager, value: hcm },
          },
        ],
      },
    ],
  }).finish();
}

export function routeConfig(
  name: string,
  cluster: string,
  opts: { pathRegex?: string; tag?: string } = {},
): Uint8Array {
  return e.config.route.v3.RouteConfiguration.encode({
    name,
    virtualHosts: [
      {
        name: 'all',
        domains: ['*'],
        routes: [
          {
            match: opts.pathRegex ? { safeRegex: { regex: opts.pathRegex } } : { prefix: '/' },
            route: { cluster },
            responseHeadersToAdd: [{ header: { key: 'x-config', value: opts.tag ?? 'v' } }],
          },
        ],
      },
    ],
  }).finish();
}
