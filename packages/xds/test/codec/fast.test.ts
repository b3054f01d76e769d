// The hand-written ClusterLoadAssignment paths must be indistinguishable from the generated code:
// byte-identical encodings, structurally identical decoded objects (same classes, same own fields),
// and for anything odd, the generated code's answer.
import { describe, expect, it } from 'vitest';
import { reflectType } from '../../src/codec/descriptor.js';
import {
  FAST_PATH_FIELDS,
  fastDecodeClusterLoadAssignment,
  fastEncodeClusterLoadAssignment,
} from '../../src/codec/fast/cluster-load-assignment.js';
import { ClusterLoadAssignmentCodec, envoy } from '../../src/index.js';
import { seeded } from '../helpers/random.js';

const Gen = envoy.config.endpoint.v3.ClusterLoadAssignment;

type Rand = () => number;

function pick<T>(rand: Rand, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

const STRINGS = [
  '',
  'a',
  '10.0.0.1',
  'zone-ü',
  '区域',
  '😀x',
  '\ud800',
  'x'.repeat(150),
  'é'.repeat(200),
  '\ud83d'.repeat(130),
];

function maybe(rand: Rand, p: number): boolean {
  return rand() < p;
}

function randomSocketAddress(rand: Rand): Record<string, unknown> {
  const sa: Record<string, unknown> = {};
  if (maybe(rand, 0.2)) sa['protocol'] = pick(rand, [0, 1]);
  if (maybe(rand, 0.9)) sa['address'] = pick(rand, STRINGS);
  if (maybe(rand, 0.8)) sa['portValue'] = pick(rand, [0, 80, 9080, 65535, 300000]);
  else if (maybe(rand, 0.3)) sa['namedPort'] = pick(rand, STRINGS);
  if (maybe(rand, 0.1)) sa['resolverName'] = pick(rand, STRINGS);
  if (maybe(rand, 0.1)) sa['ipv4Compat'] = pick(rand, [true, false]);
  return sa;
}

function randomLbEndpoint(rand: Rand): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (maybe(rand, 0.95)) {
    const address: Record<string, unknown> = maybe(rand, 0.97)
      ? { socketAddress: randomSocketAddress(rand) }
      : { pipe: { path: '/tmp/s', mode: 0o600 } };
    const endpoint: Record<string, unknown> = { address };
    if (maybe(rand, 0.1)) endpoint['hostname'] = pick(rand, STRINGS);
    if (maybe(rand, 0.05)) endpoint['healthCheckConfig'] = { portValue: 15021 };
    if (maybe(rand, 0.03))
      endpoint['additionalAddresses'] = [{ address: { socketAddress: { address: '::1', portValue: 1 } } }];
    e['endpoint'] = endpoint;
  } else if (maybe(rand, 0.5)) {
    e['endpointName'] = pick(rand, STRINGS);
  }
  if (maybe(rand, 0.5)) e['healthStatus'] = pick(rand, [0, 1, 2, 3, 5]);
  if (maybe(rand, 0.02)) e['healthStatus'] = -1;
  if (maybe(rand, 0.1)) {
    e['metadata'] = {
      filterMetadata: { 'envoy.lb': { fields: { version: { stringValue: pick(rand, STRINGS) } } } },
    };
  }
  if (maybe(rand, 0.5))
    e['loadBalancingWeight'] = maybe(rand, 0.9) ? { value: pick(rand, [0, 1, 7, 128, 2 ** 31]) } : {};
  return e;
}

function randomCla(rand: Rand): Record<string, unknown> {
  const cla: Record<string, unknown> = {};
  if (maybe(rand, 0.9))
    cla['clusterName'] = pick(rand, ['outbound|9080|v1|reviews.default.svc.cluster.local', ...STRINGS]);
  const n = Math.floor(rand() * 4);
  cla['endpoints'] = Array.from({ length: n }, () => {
    const l: Record<string, unknown> = {};
    if (maybe(rand, 0.7)) {
      l['locality'] = {};
      for (const k of ['region', 'zone', 'subZone'])
        if (maybe(rand, 0.6)) (l['locality'] as Record<string, unknown>)[k] = pick(rand, STRINGS);
    }
    l['lbEndpoints'] = Array.from({ length: Math.floor(rand() * 6) }, () => randomLbEndpoint(rand));
    if (maybe(rand, 0.5)) l['loadBalancingWeight'] = { value: pick(rand, [1, 3, 100]) };
    if (maybe(rand, 0.5)) l['priority'] = pick(rand, [0, 1, 2, 200]);
    if (maybe(rand, 0.05)) l['proximity'] = { value: 3 };
    if (maybe(rand, 0.05)) l['metadata'] = { filterMetadata: {} };
    return l;
  });
  if (maybe(rand, 0.1))
    cla['policy'] = { overprovisioningFactor: { value: 140 }, weightedPriorityHealth: true };
  if (maybe(rand, 0.03)) cla['namedEndpoints'] = { a: { hostname: 'x' } };
  return cla;
}

function decodeOrUndefined(bytes: Uint8Array): ReturnType<typeof Gen.decode> | undefined {
  try {
    return Gen.decode(bytes);
  } catch {
    return undefined;
  }
}

describe('ClusterLoadAssignment fast path', () => {
  it('accounts for every field of every message it touches', () => {
    for (const [name, lists] of Object.entries(FAST_PATH_FIELDS)) {
      const type = reflectType(name);
      expect(type, name).toBeDefined();
      const declared = type!.fieldsArray.map((f) => f.name).sort();
      expect([...lists.fast, ...lists.delegate, ...lists.fallback].sort(), name).toEqual(declared);
    }
  });

  it('encodes byte for byte like the generated code', () => {
    const rand = seeded(7);
    let fast = 0;
    for (let i = 0; i < 2000; i++) {
      const cla = randomCla(rand);
      const expected = Gen.encode(cla).finish();
      const got = fastEncodeClusterLoadAssignment(cla);
      if (got !== undefined) {
        fast++;
        expect(Buffer.from(got).equals(Buffer.from(expected)), JSON.stringify(cla)).toBe(true);
      }
      expect(Buffer.from(ClusterLoadAssignmentCodec.encode(cla)).equals(Buffer.from(expected))).toBe(true);
    }
    expect(fast).toBeGreaterThan(800);
  });

  it('re-encodes decoded class instances the same way', () => {
    const rand = seeded(8);
    for (let i = 0; i < 300; i++) {
      const bytes = Gen.encode(randomCla(rand)).finish();
      const decoded = decodeOrUndefined(bytes);
      if (decoded === undefined) continue; // lone surrogates encode to invalid UTF-8
      expect(
        Buffer.from(ClusterLoadAssignmentCodec.encode(decoded)).equals(
          Buffer.from(Gen.encode(decoded).finish()),
        ),
      ).toBe(true);
    }
  });

  it('decodes into the same objects as the generated code', () => {
    const rand = seeded(9);
    let fast = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Gen.encode(randomCla(rand)).finish();
      const expected = decodeOrUndefined(bytes);
      const got = fastDecodeClusterLoadAssignment(bytes);
      if (expected === undefined) {
        expect(got).toBeUndefined();
        continue;
      }
      if (got !== undefined) {
        fast++;
        expect(got).toStrictEqual(expected);
      }
      expect(ClusterLoadAssignmentCodec.decode(bytes)).toStrictEqual(expected);
    }
    expect(fast).toBeGreaterThan(800);
  });

  it('agrees with the generated code on damaged bytes', () => {
    const rand = seeded(10);
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from(Gen.encode(randomCla(rand)).finish());
      if (bytes.length === 0) continue;
      const at = Math.floor(rand() * bytes.length);
      if (maybe(rand, 0.5)) bytes[at] = bytes[at]! ^ (1 << Math.floor(rand() * 8));
      const input = maybe(rand, 0.3) ? bytes.subarray(0, at) : bytes;
      const expected = decodeOrUndefined(input);
      const got = fastDecodeClusterLoadAssignment(input);
      if (expected === undefined) expect(got).toBeUndefined();
      else if (got !== undefined) expect(got).toStrictEqual(expected);
    }
  });
});
