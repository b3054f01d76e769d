// How long config loading takes at mesh scale: parse + validate + store.sync of N VirtualServices and
// DestinationRules (the pilot does this on every config directory change). Uses the built package as
// users do.
//
//   pnpm --filter @strait/config bench             # 1k and 10k objects
//   pnpm --filter @strait/config bench -- --quick  # 1k only
import { ConfigStore, parseYaml, validate } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const sizes = quick ? [1000] : [1000, 10_000];

function docs(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: svc-${i}, namespace: ns-${i % 50}}
spec:
  hosts: [svc-${i}.ns-${i % 50}.svc.cluster.local]
  http:
  - match: [{headers: {end-user: {exact: jason}}, uri: {prefix: /api}}]
    route:
    - {destination: {host: svc-${i}.ns-${i % 50}.svc.cluster.local, subset: v1}, weight: 90}
    - {destination: {host: svc-${i}.ns-${i % 50}.svc.cluster.local, subset: v2}, weight: 10}
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,reset"}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc-${i}, namespace: ns-${i % 50}}
spec:
  host: svc-${i}.ns-${i % 50}.svc.cluster.local
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 100}}, outlierDetection: {consecutive5xxErrors: 5, interval: 10s}}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]`);
  }
  return out.join('\n---\n');
}

function time(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

for (const n of sizes) {
  const text = docs(n);
  const parse = time(() => parseYaml(text, 'bench.yaml'));
  const values = parse.result.documents.map((d) => d.value);
  const val = time(() => values.map((v) => validate(v)));
  const store = new ConfigStore();
  const sync = time(() => store.sync(parse.result.documents));
  const resync = time(() => store.sync(parse.result.documents));
  const objects = values.length;
  console.log(
    JSON.stringify({
      objects,
      parseMs: Math.round(parse.ms),
      validateMs: Math.round(val.ms),
      validateUsPerObject: Math.round((val.ms * 1000) / objects),
      firstSyncMs: Math.round(sync.ms),
      unchangedResyncMs: Math.round(resync.ms),
      rejected: sync.result.rejected.length,
    }),
  );
}
