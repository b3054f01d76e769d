import { envoy, TypeUrl } from '@strait/xds';
import { describe, expect, it } from 'vitest';
import { StatsStore } from '../../src/stats/store.js';
import { AdsClient } from '../../src/xds/ads-client.js';
import type { AdsTransport, SotwRequest, SotwResponse, StreamHandlers } from '../../src/xds/transport.js';

class Fake implements AdsTransport {
  writes: SotwRequest[] = [];
  h: StreamHandlers<SotwResponse> | undefined;
  openSotw(h: StreamHandlers<SotwResponse>) {
    this.h = h;
    return { write: (r: SotwRequest) => this.writes.push(r), cancel: () => {} };
  }
  openDelta(): never {
    throw new Error('sotw only');
  }
  close() {}
}

describe('AdsClient', () => {
  it('writes the ACK before the subscriptions its apply caused, and collapses SotW requests per type', () => {
    const t = new Fake();
    let client: AdsClient;
    const names = new Set(Array.from({ length: 5000 }, (_, i) => `c${i}`));
    client = new AdsClient({
      transport: t,
      variant: 'sotw',
      node: { id: 'n1' },
      stats: new StatsStore(),
      log: () => {},
      handlers: {
        [TypeUrl.Cluster]: {
          apply: () => {
            client.setNames(TypeUrl.ClusterLoadAssignment, names);
            return [];
          },
        },
        [TypeUrl.ClusterLoadAssignment]: { apply: () => [] },
      },
    });
    client.start();
    client.startType(TypeUrl.Cluster);
    expect(t.writes).toHaveLength(1);
    expect(t.writes[0]!.node?.id).toBe('n1');
    const c = {
      type_url: TypeUrl.Cluster,
      value: envoy.config.cluster.v3.Cluster.encode({ name: 'c0' }).finish(),
    };
    const res = { typeUrl: TypeUrl.Cluster, versionInfo: 'v1', nonce: 'n', resources: [c] };
    t.h!.onResponse(res as unknown as SotwResponse);
    expect(t.writes.map((w) => w.typeUrl)).toEqual([
      TypeUrl.Cluster,
      TypeUrl.Cluster,
      TypeUrl.ClusterLoadAssignment,
    ]);
    expect(t.writes[1]!.responseNonce).toBe('n');
    // Chunked internally, one request on the wire with every name; the node only on the first request.
    expect(t.writes[2]!.resourceNames).toHaveLength(5000);
    expect(t.writes[2]!.node).toBeUndefined();
    client.close();
  });
});
