import { describe, expect, it } from 'vitest';
import {
  buildRegistryCluster,
  buildVirtualInboundListener,
  ClusterCodec,
  ClusterLoadAssignmentCodec,
  DeltaDiscoveryRequestCodec,
  DiscoveryResponseCodec,
  KNOWN_CODECS,
  ListenerCodec,
  type MessageCodec,
  RouteConfigurationCodec,
  XdsDecodeError,
} from '../../src/index.js';
import { randomBytes, seeded } from '../helpers/random.js';
import { sampleCla } from '../helpers/samples.js';

function decodeError(codec: MessageCodec<unknown, never>, bytes: Uint8Array): XdsDecodeError {
  try {
    codec.decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(XdsDecodeError);
    return err as XdsDecodeError;
  }
  throw new Error('decode unexpectedly succeeded');
}

/** Decoding must return or throw XdsDecodeError; anything else fails the test with the input. */
function decodeOrTypedError(codec: MessageCodec<unknown, never>, bytes: Uint8Array): void {
  try {
    codec.decode(bytes);
  } catch (err) {
    if (!(err instanceof XdsDecodeError)) {
      throw new Error(
        `${codec.typeName}: non-typed ${String(err)} for ${Buffer.from(bytes).toString('hex')}`,
      );
    }
    expect(err.code).toBe('XDS_ERR_DECODE');
    expect(err.typeUrl).toBe(codec.typeUrl);
  }
}

describe('decode errors name the failing field', () => {
  const bytes = ClusterLoadAssignmentCodec.encode(sampleCla(1, 5));

  it('reports a varint cut in the middle as truncated with its full path', () => {
    // The last endpoint carries only its address, so the encoding ends with its two-byte port varint;
    // cutting one byte leaves that varint unfinished.
    const endpoint = (i: number) => ({
      endpoint: { address: { socketAddress: { address: `10.0.0.${i}`, portValue: 9080 + i } } },
    });
    const cla = { clusterName: 'c', endpoints: [{ lbEndpoints: [0, 1, 2, 3].map(endpoint) }] };
    const full = ClusterLoadAssignmentCodec.encode(cla);
    const err = decodeError(ClusterLoadAssignmentCodec, full.subarray(0, full.length - 1));
    expect(err.path).toBe('endpoints[0].lb_endpoints[3].endpoint.address.socket_address.port_value');
    expect(err.reason).toBe('truncated varint');
    expect(err.message).toBe(
      'cannot decode type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment at ' +
        `endpoints[0].lb_endpoints[3].endpoint.address.socket_address.port_value: truncated varint (byte ${full.length - 1})`,
    );
    expect(err.context).toMatchObject({ typeUrl: ClusterLoadAssignmentCodec.typeUrl });
  });

  it('reports a giant length prefix at the field that declares it', () => {
    // cluster_name (field 1, wire type 2) claiming 2^31-1 bytes.
    const evil = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x61]);
    const err = decodeError(ClusterLoadAssignmentCodec, evil);
    expect(err.path).toBe('cluster_name');
    expect(err.reason).toMatch(/length 2147483647 exceeds the 1 bytes left/);
  });

  it('reports an invalid wire type inside a nested message', () => {
    // endpoints[0] { lb_endpoints[0] { field 1 (endpoint) with wire type 7 } }
    const evil = Uint8Array.from([0x12, 0x03, 0x12, 0x01, 0x0f]);
    const err = decodeError(ClusterLoadAssignmentCodec, evil);
    expect(err.path).toBe('endpoints[0].lb_endpoints[0].endpoint');
    expect(err.reason).toBe('invalid wire type 7');
  });

  it('skips a known field sent with the wrong wire type, as protobufjs does', () => {
    // cluster_name as a varint is an unknown field, not an error.
    const back = ClusterLoadAssignmentCodec.decode(Uint8Array.from([0x08, 0x01]));
    expect(back.clusterName).toBe('');
  });

  it('reports invalid UTF-8 in a string field', () => {
    const evil = Uint8Array.from([0x0a, 0x02, 0xc3, 0x28]);
    const err = decodeError(ClusterLoadAssignmentCodec, evil);
    expect(err.path).toBe('cluster_name');
    expect(err.reason).toBe('invalid UTF-8 in string');
  });

  it('names map entries by key', () => {
    // Cluster.metadata.filter_metadata["x"] = Struct with a truncated field.
    const struct = [0x0a, 0x05, 0x0a, 0x01, 0x6b, 0x12, 0x09]; // fields: entry cut short
    const entry = [0x0a, 0x01, 0x78, 0x12, struct.length, ...struct];
    const metadata = [0x0a, entry.length, ...entry];
    const evil = Uint8Array.from([0xca, 0x01, metadata.length, ...metadata]); // field 25
    const err = decodeError(ClusterCodec, evil);
    expect(err.path).toMatch(/^metadata\.filter_metadata\["x"\]\.fields\["k"\]/);
  });

  it('refuses messages nested deeper than the recursion limit', () => {
    // Struct -> Value -> Struct ... 120 levels deep.
    let inner: number[] = [];
    for (let i = 0; i < 120; i++) {
      const value = [0x2a, ...varint(inner.length), ...inner]; // Value.struct_value
      const entry = [0x0a, 0x01, 0x61, 0x12, ...varint(value.length), ...value];
      inner = [0x0a, ...varint(entry.length), ...entry]; // Struct.fields entry
    }
    const metadata = [
      0x0a,
      ...varint(inner.length + 5),
      0x0a,
      0x01,
      0x78,
      0x12,
      ...varint(inner.length),
      ...inner,
    ];
    const evil = Uint8Array.from([0xca, 0x01, ...varint(metadata.length), ...metadata]);
    const err = decodeError(ClusterCodec, evil);
    expect(err.reason).toMatch(/nested deeper than/);
  });

  it('rejects input that is not bytes', () => {
    const err = decodeError(ListenerCodec, 'nope' as unknown as Uint8Array);
    expect(err.reason).toBe('input is not a Uint8Array');
  });

  it('decodes the untouched bytes fine', () => {
    expect(ClusterLoadAssignmentCodec.decode(bytes).endpoints).toHaveLength(1);
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

describe('hostile input never throws anything but XdsDecodeError', () => {
  const valid: Array<[MessageCodec<unknown, never>, Uint8Array]> = [
    [
      ClusterLoadAssignmentCodec as MessageCodec<unknown, never>,
      ClusterLoadAssignmentCodec.encode(sampleCla(3, 4)),
    ],
    [
      RouteConfigurationCodec as MessageCodec<unknown, never>,
      RouteConfigurationCodec.encode({
        name: 'http.9080',
        virtualHosts: [{ name: 'reviews', domains: ['reviews', 'reviews.default.svc.cluster.local'] }],
      }),
    ],
    [
      DiscoveryResponseCodec as MessageCodec<unknown, never>,
      DiscoveryResponseCodec.encode({
        versionInfo: '7',
        nonce: 'n1',
        typeUrl: ClusterCodec.typeUrl,
        resources: [{ type_url: ClusterCodec.typeUrl, value: ClusterCodec.encode({ name: 'a' }) }],
      }),
    ],
    [
      DeltaDiscoveryRequestCodec as MessageCodec<unknown, never>,
      DeltaDiscoveryRequestCodec.encode({
        typeUrl: ClusterCodec.typeUrl,
        resourceNamesSubscribe: ['a', 'b'],
        initialResourceVersions: { a: '1' },
      }),
    ],
  ];

  it('survives every truncation of valid messages', () => {
    for (const [codec, bytes] of valid) {
      for (let n = 0; n < bytes.length; n++) decodeOrTypedError(codec, bytes.subarray(0, n));
    }
  });

  it('survives seeded bit flips of valid messages', () => {
    const rand = seeded(0x5eed);
    for (let i = 0; i < 3000; i++) {
      const [codec, bytes] = valid[i % valid.length]!;
      const copy = Uint8Array.from(bytes);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * copy.length);
        copy[at] = copy[at]! ^ (1 << Math.floor(rand() * 8));
      }
      decodeOrTypedError(codec, copy);
    }
  });

  it('survives seeded random bytes for every known codec', () => {
    const rand = seeded(42);
    for (let i = 0; i < 5000; i++) {
      const codec = KNOWN_CODECS[i % KNOWN_CODECS.length]!;
      decodeOrTypedError(codec, randomBytes(rand, Math.floor(rand() * 64)));
    }
  });
});

describe('damaged real resources', () => {
  // Seeds are what the builders make, so mutations land inside deep, Any-carrying structures.
  const seeds: Array<[MessageCodec<unknown, never>, Uint8Array]> = [
    [
      ListenerCodec as MessageCodec<unknown, never>,
      ListenerCodec.encode(
        buildVirtualInboundListener({
          ports: [
            { port: 9080, protocol: 'http' },
            { port: 20880, protocol: 'dubbo', dubboInterfaces: ['org.apache.dubbo.demo.DemoService'] },
          ],
        }),
      ),
    ],
    [
      ClusterCodec as MessageCodec<unknown, never>,
      ClusterCodec.encode(
        buildRegistryCluster({
          name: 'outbound|20880||demo',
          registry: 'zk',
          service: 'demo',
          labels: { env: 'prod' },
          cells: { localZone: 'z1', mode: 'FAILOVER' },
          outlierDetection: {},
        }),
      ),
    ],
    [
      ClusterLoadAssignmentCodec as MessageCodec<unknown, never>,
      ClusterLoadAssignmentCodec.encode(sampleCla(2, 3)),
    ],
  ];

  it('locates nearly every failure (field path or byte offset), and never throws untyped', () => {
    const rand = seeded(2024);
    let failures = 0;
    let located = 0;
    for (let i = 0; i < 4000; i++) {
      const [codec, bytes] = seeds[i % seeds.length]!;
      const copy = Uint8Array.from(bytes);
      const at = Math.floor(rand() * copy.length);
      copy[at] = copy[at]! ^ (1 << Math.floor(rand() * 8));
      const input = rand() < 0.2 ? copy.subarray(0, Math.floor(rand() * copy.length)) : copy;
      try {
        codec.decode(input);
      } catch (err) {
        if (!(err instanceof XdsDecodeError)) throw err;
        failures++;
        if (err.path !== '' || err.offset > 0 || err.reason === 'invalid field number 0') located++;
      }
    }
    expect(failures).toBeGreaterThan(200);
    expect(located / failures).toBeGreaterThan(0.98);
  });
});
