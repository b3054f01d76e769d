import { describe, expect, it } from 'vitest';
import {
  ClusterCodec,
  CodecRegistry,
  defaultRegistry,
  KNOWN_CODECS,
  ListenerCodec,
  pack,
  RouterCodec,
  TcpProxyCodec,
  TypeUrl,
  unpack,
  unpackAs,
  unpackResources,
  XdsDecodeError,
  XdsTypeUrlMismatchError,
  XdsUnknownTypeUrlError,
} from '../../src/index.js';

describe('Any', () => {
  it('packs with the codec type URL and unpacks through the registry', () => {
    const any = pack(TcpProxyCodec, { statPrefix: 'x', cluster: 'c' });
    expect(any.type_url).toBe(TypeUrl.TcpProxy);
    const { typeUrl, message } = unpack(any);
    expect(typeUrl).toBe(TypeUrl.TcpProxy);
    expect(TcpProxyCodec.toObject(message as never)).toEqual({ statPrefix: 'x', cluster: 'c' });
  });

  it('unpackAs checks the type', () => {
    const any = pack(RouterCodec, {});
    expect(unpackAs(RouterCodec, any)).toBeDefined();
    expect(() => unpackAs(ClusterCodec, any)).toThrow(XdsTypeUrlMismatchError);
  });

  it('accepts another host prefix in the type URL, as Any resolution does', () => {
    const any = {
      type_url: 'example.com/envoy.config.cluster.v3.Cluster',
      value: ClusterCodec.encode({ name: 'a' }),
    };
    expect(unpackAs(ClusterCodec, any).name).toBe('a');
  });

  it('throws a typed error for an unknown type URL, naming the path', () => {
    const any = { type_url: 'type.googleapis.com/acme.Nope', value: new Uint8Array() };
    try {
      unpack(any, defaultRegistry, 'resources[2]');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(XdsUnknownTypeUrlError);
      expect((err as XdsUnknownTypeUrlError).code).toBe('XDS_ERR_UNKNOWN_TYPE_URL');
      expect((err as Error).message).toContain('resources[2]');
    }
  });

  it('a registry limited to explicit codecs rejects other generated types', () => {
    const strict = new CodecRegistry([ListenerCodec], { generated: false });
    expect(strict.has(TypeUrl.Listener)).toBe(true);
    expect(() => strict.require(TypeUrl.Cluster)).toThrow(XdsUnknownTypeUrlError);
    expect(defaultRegistry.has(TypeUrl.Bootstrap)).toBe(true);
  });

  it('prefixes decode error paths with where the Any sits', () => {
    const any = { type_url: TypeUrl.Cluster, value: Uint8Array.from([0x0a, 0x05, 0x61]) };
    try {
      unpack(any, defaultRegistry, 'resources[1]');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(XdsDecodeError);
      expect((err as XdsDecodeError).path).toBe('resources[1].name');
    }
  });

  it('registers every named codec under its own type URL', () => {
    for (const codec of KNOWN_CODECS) expect(defaultRegistry.get(codec.typeUrl)).toBe(codec);
  });
});

describe('unpackResources', () => {
  it('decodes good resources and reports bad ones by index and path', () => {
    const good = pack(ClusterCodec, { name: 'a' });
    const bad = { type_url: TypeUrl.Cluster, value: Uint8Array.from([0x0a, 0x09, 0x61]) };
    const unknown = { type_url: 'type.googleapis.com/acme.Nope', value: new Uint8Array() };
    const results = unpackResources([good, bad, unknown]);
    expect(results.map((r) => r.ok)).toEqual([true, false, false]);
    const [first, second, third] = results;
    expect(first!.ok && ClusterCodec.toObject(first!.message as never)).toEqual({ name: 'a' });
    expect(!second!.ok && second!.error.code).toBe('XDS_ERR_DECODE');
    expect(!second!.ok && (second!.error as XdsDecodeError).path).toBe('resources[1].name');
    expect(!third!.ok && third!.error.code).toBe('XDS_ERR_UNKNOWN_TYPE_URL');
  });
});
