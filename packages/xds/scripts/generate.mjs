// Generates static protobuf codecs and their TypeScript declarations into src/gen/ from the Envoy,
// xDS, googleapis and validate protos that @grpc/grpc-js-xds ships (deps/), plus Strait's own protos
// in the repo's proto/ folder. Nothing generated is committed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const require = createRequire(import.meta.url);
const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const ownProtos = join(pkg, '..', '..', 'proto');
const bin = (name) => join(pkg, 'node_modules', '.bin', name);

const includePaths = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d));
includePaths.push(ownProtos);

// The Envoy/xDS files whose messages Strait encodes and decodes; imports are followed by pbjs.
const envoyFiles = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/dubbo_proxy/v3/dubbo_proxy.proto',
  'envoy/extensions/filters/network/dubbo_proxy/v3/route.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/clusters/aggregate/v3/cluster.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/type/v3/percent.proto',
  'google/rpc/status.proto',
];

function findProtos(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findProtos(p));
    else if (name.endsWith('.proto')) out.push(p);
  }
  return out;
}

function resolveInput(file) {
  for (const base of includePaths) {
    const p = join(base, file);
    if (existsSync(p)) return p;
  }
  throw new Error(`generate: ${file} not found under ${includePaths.join(', ')}`);
}

const inputs = [...envoyFiles.map(resolveInput), ...findProtos(ownProtos)];
const outDir = join(pkg, 'src', 'gen');
mkdirSync(outDir, { recursive: true });
const js = join(outDir, 'protos.js');
const dts = join(outDir, 'protos.d.ts');
// A reflection descriptor of the same files, with the protos' own snake_case field names: the codec
// loads it lazily to name the failing field path of undecodable bytes and to print Envoy-style JSON
// (config_dump), neither of which the static code can do.
const descriptor = join(outDir, 'descriptor.json');

const started = Date.now();
execFileSync(
  bin('pbjs'),
  [
    '-t',
    'static-module',
    '-w',
    'es6',
    '--force-number',
    '--no-delimited',
    '--no-verify',
    ...includePaths.flatMap((p) => ['-p', p]),
    '-o',
    js,
    ...inputs,
  ],
  { stdio: 'inherit' },
);
execFileSync(
  bin('pbjs'),
  ['-t', 'json', '--keep-case', ...includePaths.flatMap((p) => ['-p', p]), '-o', descriptor, ...inputs],
  { stdio: 'inherit' },
);
execFileSync(bin('pbts'), ['--no-comments', '-o', dts, js], { stdio: 'inherit' });
console.log(`generate: ${inputs.length} proto roots -> ${relative(pkg, js)} in ${Date.now() - started} ms`);
