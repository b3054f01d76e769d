// strait-proxy on a static bootstrap, as every proxy benchmark runs it: loopback listeners on port 0,
// STATIC clusters pointing at loopback upstreams, the built binary started with metrics and draining
// off, and the listeners' bound ports read from its log.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild } from './common.mjs';

/** An http_connection_manager filter routing everything to `cluster` (router filter only). */
export const hcmFilter = (statPrefix, cluster) => `
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ${statPrefix}
                route_config: { virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: ${cluster} } }] }] }
                http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]`;

/**
 * Writes `strait-bootstrap.yaml` into `dir`: listeners `[{ name, filters }]` (filters: YAML list items
 * indented as hcmFilter's) and clusters `[{ name, port, extra }]` (extra: more cluster fields).
 */
export function writeStaticBootstrap(dir, { listeners, clusters }) {
  const listener = ({ name, filters }) => `
    - name: ${name}
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains:
        - filters:${filters}`;
  const cluster = ({ name, port, extra = '' }) => `
    - name: ${name}
      type: STATIC
      connect_timeout: 1s${extra}
      load_assignment: { cluster_name: ${name}, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }] }`;
  const file = join(dir, 'strait-bootstrap.yaml');
  writeFileSync(
    file,
    `admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
static_resources:
  listeners:${listeners.map(listener).join('')}
  clusters:${clusters.map(cluster).join('')}
`,
  );
  return file;
}

/**
 * Starts the built strait-proxy (`bin`) on `bootstrapFile`; resolves once every listener in `names` is
 * bound, with `ports` by listener name.
 */
export async function startStraitProxy(bin, bootstrapFile, names, { extraNodeArgs = [] } = {}) {
  const portOf = (log, name) => Number(new RegExp(`listener "${name}" on [^\\s]*:(\\d+)`).exec(log)?.[1]);
  const c = await startChild(
    process.execPath,
    [
      ...extraNodeArgs,
      bin,
      '--bootstrap',
      bootstrapFile,
      '--prometheus-address',
      'off',
      '--drain-time-s',
      '0',
    ],
    (log) => {
      const ports = Object.fromEntries(names.map((n) => [n, portOf(log, n)]));
      return Object.values(ports).every((p) => p > 0) ? ports : undefined;
    },
  );
  return { child: c.child, ports: c.ready };
}
