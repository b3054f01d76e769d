// Writes a protobufjs JSON descriptor of the Envoy messages the proxy reads from a bootstrap file into
// src/gen/descriptor.json. Why reflection beside @strait/xds's static codecs: the proto3 JSON mapping
// (snake_case names, Duration strings, wrapper scalars, Struct, Any with "@type") needs field types at
// runtime, which static code does not carry. Protos come from @grpc/grpc-js-xds's deps/ tree.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const require = createRequire(import.meta.url);
const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const ownProtos = join(pkg, '..', '..', 'proto');
const includePaths = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d));
includePaths.push(ownProtos, dirname(require.resolve('protobufjs/package.json')));

const files = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/dubbo_proxy/v3/dubbo_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/clusters/aggregate/v3/cluster.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'google/protobuf/wrappers.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/duration.proto',
  'google/protobuf/any.proto',
];

function findProtos(base, dir = base) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findProtos(base, p));
    else if (name.endsWith('.proto')) out.push(p.slice(base.length + 1));
  }
  return out;
}

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => {
  for (const base of includePaths) {
    const p = join(base, target);
    if (existsSync(p)) return p;
  }
  // Well-known types protobufjs bundles (any, duration, struct, ...) resolve without a file.
  return target;
};
const started = Date.now();
root.loadSync([...files, ...findProtos(ownProtos)], { keepCase: false });
root.resolveAll();
const outDir = join(pkg, 'src', 'gen');
mkdirSync(outDir, { recursive: true });
const out = join(outDir, 'descriptor.json');
writeFileSync(out, JSON.stringify(root.toJSON()));
console.log(`generate: descriptor.json (${statSync(out).size} bytes) in ${Date.now() - started} ms`);
