// Golden tests of the pure builders: YAML in (a GoldenTest header, then Istio/Strait config), Envoy
// JSON out (the proto3 JSON view, Any expanded). UPDATE_GOLDEN=1 rewrites the expected files (then
// `biome format --write test/golden` formats them; the comparison is on parsed JSON, not text).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConfigObject, parseYaml, validate } from '@strait/config';
import { type Instance, type InstanceSpec, normalizeInstance } from '@strait/registry';
import { toEnvoyJson } from '@strait/xds';
import { describe, expect, it } from 'vitest';
import type { ProxyInfo } from '../../src/model/proxy.js';
import { type Architecture, buildPushContext } from '../../src/model/push-context.js';
import {
  generateClusters,
  generateEndpoints,
  generateListeners,
  generateRoutes,
  type Requested,
} from '../../src/networking/index.js';

const dir = fileURLToPath(new URL('../golden/', import.meta.url));

interface Header {
  kind: 'GoldenTest';
  architecture?: Architecture;
  proxy: {
    id: string;
    type: 'sidecar' | 'grpc';
    namespace?: string;
    labels?: Record<string, string>;
    ips?: string[];
    locality?: { region: string; zone: string; subZone: string };
    app?: string;
  };
  instances?: Record<string, Omit<InstanceSpec, 'service'>[]>;
  listeners?: string[];
  clusters?: string[];
  routes?: string[];
  endpoints?: string[];
}

function requested(list: string[] | undefined): Requested {
  const names = list ?? [];
  return { wildcard: names.includes('*'), names: names.filter((n) => n !== '*') };
}

function load(file: string) {
  const parsed = parseYaml(readFileSync(file, 'utf8'), basename(file));
  expect(parsed.failures).toEqual([]);
  const [head, ...docs] = parsed.documents;
  const header = head!.value as Header;
  const config: ConfigObject[] = docs.map((d) => {
    const r = validate(d.value);
    if (!r.ok) throw new Error(`${file}#${d.source.index}: ${JSON.stringify(r.errors)}`);
    return r.object;
  });
  const instances = new Map<string, Instance[]>();
  for (const [service, list] of Object.entries(header.instances ?? {})) {
    instances.set(
      service,
      list.map((i) => normalizeInstance({ ...i, service })),
    );
  }
  return { header, config, instances };
}

const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('networking golden files', () => {
  it.each(cases)('%s', (name) => {
    const { header, config, instances } = load(join(dir, name));
    const ctx = buildPushContext({
      version: 'golden',
      architecture: header.architecture ?? 'three-in-one',
      registryName: 'embedded',
      config,
      instances,
    });
    const p = header.proxy;
    const proxy: ProxyInfo = {
      id: p.id,
      type: p.type,
      namespace: p.namespace ?? 'default',
      labels: p.labels ?? {},
      ips: p.ips ?? [],
      app: p.app ?? '',
      ...(p.locality ? { locality: p.locality } : {}),
    };
    const out = {
      listeners: header.listeners
        ? generateListeners(ctx, proxy, requested(header.listeners)).map((m) =>
            toEnvoyJson('envoy.config.listener.v3.Listener', m),
          )
        : undefined,
      clusters: header.clusters
        ? generateClusters(ctx, proxy, requested(header.clusters)).map((m) =>
            toEnvoyJson('envoy.config.cluster.v3.Cluster', m),
          )
        : undefined,
      routes: header.routes
        ? generateRoutes(ctx, proxy, requested(header.routes)).map((m) =>
            toEnvoyJson('envoy.config.route.v3.RouteConfiguration', m),
          )
        : undefined,
      endpoints: header.endpoints
        ? generateEndpoints(ctx, proxy, requested(header.endpoints)).map((m) =>
            toEnvoyJson('envoy.config.endpoint.v3.ClusterLoadAssignment', m),
          )
        : undefined,
    };
    const text = `${JSON.stringify(out, null, 2)}\n`;
    const golden = join(dir, name.replace(/\.yaml$/, '.json'));
    if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(golden)) writeFileSync(golden, text);
    expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
  });
});
