// Golden tests: builder input (test/fixtures/resources/<case>.input.json) to Envoy-style JSON
// (<case>.golden.json). The output goes through encode and decode first, so a golden file also proves
// the builder's object is encodable. UPDATE_GOLDEN=1 rewrites the expectations (then run
// `pnpm biome format --write test/fixtures` and review the diff).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as xds from '../../src/index.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'resources');
const update = process.env['UPDATE_GOLDEN'] === '1';

type Builder = (input: never) => unknown;

const builders: Record<string, { build: Builder; codec: xds.MessageCodec<unknown, never> }> = {
  buildEdsCluster: { build: xds.buildEdsCluster as Builder, codec: xds.ClusterCodec },
  buildStaticCluster: { build: xds.buildStaticCluster as Builder, codec: xds.ClusterCodec },
  buildOriginalDstCluster: { build: xds.buildOriginalDstCluster as Builder, codec: xds.ClusterCodec },
  buildBlackHoleCluster: { build: xds.buildBlackHoleCluster as Builder, codec: xds.ClusterCodec },
  buildRegistryCluster: { build: xds.buildRegistryCluster as Builder, codec: xds.ClusterCodec },
  buildClusterLoadAssignment: {
    build: xds.buildClusterLoadAssignment as Builder,
    codec: xds.ClusterLoadAssignmentCodec,
  },
  buildRouteConfiguration: {
    build: xds.buildRouteConfiguration as Builder,
    codec: xds.RouteConfigurationCodec,
  },
  buildVirtualOutboundListener: {
    build: xds.buildVirtualOutboundListener as Builder,
    codec: xds.ListenerCodec,
  },
  buildVirtualInboundListener: {
    build: xds.buildVirtualInboundListener as Builder,
    codec: xds.ListenerCodec,
  },
  buildHttpListener: { build: xds.buildHttpListener as Builder, codec: xds.ListenerCodec },
  buildTcpListener: { build: xds.buildTcpListener as Builder, codec: xds.ListenerCodec },
  buildDubboListener: { build: xds.buildDubboListener as Builder, codec: xds.ListenerCodec },
};

interface Case {
  builder: string;
  input: unknown;
}

/** Builds a case and renders it the way the golden files hold it. */
export function render(c: Case): xds.JsonObject {
  const entry = builders[c.builder];
  if (!entry) throw new Error(`unknown builder ${c.builder}`);
  const built = entry.build(c.input as never);
  const decoded = entry.codec.decode(entry.codec.encode(built as never));
  const direct = xds.resourceToEnvoyJson(entry.codec, built as never);
  const roundTripped = xds.resourceToEnvoyJson(entry.codec, decoded as never);
  expect(roundTripped).toEqual(direct);
  return roundTripped;
}

const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.input.json'))
  .sort();

describe('resource builders: golden JSON', () => {
  it('has cases for every builder', () => {
    const used = new Set(cases.map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as Case).builder));
    expect([...used].sort()).toEqual(Object.keys(builders).sort());
  });

  for (const file of cases) {
    const name = file.replace(/\.input\.json$/, '');
    it(name, () => {
      const c = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case;
      const actual = render(c);
      const goldenPath = join(dir, `${name}.golden.json`);
      if (update || !existsSync(goldenPath)) {
        if (!update) throw new Error(`missing ${goldenPath}; run with UPDATE_GOLDEN=1`);
        writeFileSync(goldenPath, `${JSON.stringify(actual, null, 2)}\n`);
      }
      const golden = JSON.parse(readFileSync(goldenPath, 'utf8')) as unknown;
      expect(actual).toEqual(golden);
    });
  }

  it('notices a changed output', () => {
    // Guards the harness itself: a golden comparison must fail when one value in the output changes.
    const file = cases.find((f) => f.startsWith('eds-cluster'))!;
    const c = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case;
    const golden = JSON.parse(
      readFileSync(join(dir, file.replace('.input.', '.golden.')), 'utf8'),
    ) as unknown;
    const changed = { ...c, input: { ...(c.input as object), connectTimeoutMs: 1234 } };
    expect(render(changed)).not.toEqual(golden);
  });
});
