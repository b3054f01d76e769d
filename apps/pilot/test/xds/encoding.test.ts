// The shared encoding paths against the generated codec: whatever they cache, the bytes on the wire
// must decode to exactly what a straightforward encoding would.
import { envoy } from '@strait/xds';
import { DeltaServerState, SotwServerState, type VersionedResource } from '@strait/xds/stream';
import { describe, expect, it } from 'vitest';
import { joined, ResponseEncoder } from '../../src/xds/encoder.js';
import { NameListCache } from '../../src/xds/request-decode.js';
import { EDS } from '../../src/xds/type-urls.js';

const D = envoy.service.discovery.v3;
const names = Array.from({ length: 300 }, (_, i) => `outbound|8080||svc-${i}.bench.svc.cluster.local`);

function resource(name: string, version: string): VersionedResource {
  const value = envoy.config.endpoint.v3.ClusterLoadAssignment.encode({ clusterName: name }).finish();
  return { name, version, resource: { type_url: EDS, value } };
}

describe('NameListCache', () => {
  const request = (nonce: string) =>
    D.DiscoveryRequest.encode({
      versionInfo: 'v1',
      node: { id: 'sidecar~1.1.1.1~a.ns~ns.svc.cluster.local' },
      resourceNames: names,
      typeUrl: EDS,
      responseNonce: nonce,
    }).finish();

  it('decodes like the generated decoder, and equal lists to one shared frozen array', () => {
    const cache = new NameListCache();
    const decode = (b: Uint8Array) =>
      cache.decode(
        b,
        (rest) => D.DiscoveryRequest.decode(rest),
        (m, list) => {
          m.resourceNames = list as string[];
        },
      );
    const a = decode(request('n1'));
    const b = decode(request('n2'));
    const plain = D.DiscoveryRequest.decode(request('n1'));
    expect(D.DiscoveryRequest.toObject(a)).toEqual(D.DiscoveryRequest.toObject(plain));
    expect(b.responseNonce).toBe('n2');
    expect(b.resourceNames).toBe(a.resourceNames);
    expect(Object.isFrozen(a.resourceNames)).toBe(true);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    // A different list is a different entry.
    const c = decode(
      D.DiscoveryRequest.encode({ resourceNames: [...names, 'extra'], typeUrl: EDS }).finish(),
    );
    expect(c.resourceNames).toHaveLength(301);
    expect(cache.stats.misses).toBe(2);
  });

  it('rejects a name that is not UTF-8, as the generated decoder would', () => {
    const cache = new NameListCache();
    const bytes = Buffer.from(request('n1'));
    // Corrupt one name's bytes in place (inside the names run) with an invalid UTF-8 byte.
    const at = bytes.indexOf(Buffer.from('svc-150.'));
    bytes[at] = 0xff;
    expect(() =>
      cache.decode(
        bytes,
        (rest) => D.DiscoveryRequest.decode(rest),
        () => {},
      ),
    ).toThrow(/UTF-8/);
  });
});

describe('ResponseEncoder', () => {
  const snapshot = new Map(names.map((n) => [n, resource(n, 'v1')]));

  it('SotW: the parts decode to the response the generated codec encodes, section shared by streams', () => {
    const encoder = new ResponseEncoder(1 << 20);
    const responses = [0, 1].map(() => {
      const s = new SotwServerState({ typeUrl: EDS });
      s.receive({ typeUrl: EDS, resourceNames: names });
      const r = s.respond(snapshot);
      if (!r) throw new Error('no response');
      return r;
    });
    for (const r of responses) {
      const wire = D.DiscoveryResponse.decode(joined(encoder.sotw(r)));
      const plain = D.DiscoveryResponse.decode(D.DiscoveryResponse.encode(r).finish());
      expect(wire.nonce).toBe(r.nonce);
      expect(wire.versionInfo).toBe(r.versionInfo);
      expect(new Set(wire.resources.map((x) => Buffer.from(x.value ?? []).toString('hex')))).toEqual(
        new Set(plain.resources.map((x) => Buffer.from(x.value ?? []).toString('hex'))),
      );
    }
    expect(encoder.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  it('Delta: names, versions, removals and nonce survive; the cache stays within its bound', () => {
    const encoder = new ResponseEncoder(1000);
    const s = new DeltaServerState({ typeUrl: EDS });
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: [...names, 'gone'] });
    const r = s.respond(snapshot);
    if (!r) throw new Error('no response');
    const wire = D.DeltaDiscoveryResponse.decode(joined(encoder.delta(r)));
    expect(wire.resources).toHaveLength(300);
    expect(wire.resources.find((x) => x.name === names[7])?.version).toBe('v1');
    expect(wire.removedResources).toEqual(['gone']);
    expect(wire.nonce).toBe(r.nonce);
    // 300 resources are more than 1,000 bytes: encoded, not cached.
    expect(encoder.stats.cachedBytes).toBe(0);
  });
});
