// The ADS server over real gRPC with a raw client: SotW and Delta, ACK/NACK, stale nonces, reconnects,
// make-before-break order, route/cluster consistency, incremental EDS.

import type { InProcessRegistry } from '@strait/registry';
import type { envoy } from '@strait/xds';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Pilot } from '../../src/pilot.js';
import {
  baseConfig,
  destinationRule,
  RATINGS,
  REVIEWS,
  reviewsRoute,
  seededRegistry,
} from '../helpers/scenario.js';
import {
  CDS,
  type DiscoveryResponse,
  decodeAny,
  EDS,
  LDS,
  names,
  node,
  RDS,
  type SotwStream,
  XdsTestClient,
} from '../helpers/xds-client.js';

const sidecar = node(
  'sidecar~10.0.9.9~productpage.default~default.svc.cluster.local',
  { NAMESPACE: 'default' },
  { app: 'productpage' },
);

function routeClusters(resp: DiscoveryResponse): string[] {
  const out: string[] = [];
  for (const r of resp.resources) {
    const rc = decodeAny(RDS, r);
    for (const vh of rc.virtualHosts) {
      for (const route of vh.routes ?? []) {
        if (route.route?.cluster) out.push(route.route.cluster);
        for (const wc of route.route?.weightedClusters?.clusters ?? []) out.push(wc.name ?? '');
      }
    }
  }
  return out;
}

async function ack(s: SotwStream, resp: DiscoveryResponse, resourceNames: string[] = []): Promise<void> {
  s.send({ typeUrl: resp.typeUrl, versionInfo: resp.versionInfo, responseNonce: resp.nonce, resourceNames });
}

describe('ADS server', () => {
  let pilot: Pilot;
  let registry: InProcessRegistry;
  let client: XdsTestClient;

  beforeAll(async () => {
    registry = await seededRegistry();
  });
  afterAll(async () => {
    await registry.close();
  });
  beforeEach(async () => {
    pilot = await Pilot.start({
      config: baseConfig(),
      registries: [registry],
      xdsAddress: { host: '127.0.0.1', port: 0 },
      debounceAfterMs: 10,
      debounceMaxMs: 100,
      registryDiscoverEveryMs: 100,
    });
    client = new XdsTestClient(pilot.xdsAddress);
  });
  afterEach(async () => {
    client.close();
    await pilot.close();
  });

  async function syncedSidecar(): Promise<{ s: SotwStream; cds: DiscoveryResponse; rds: DiscoveryResponse }> {
    const s = client.sotw();
    s.send({ node: sidecar, typeUrl: CDS });
    const cds = await s.next();
    expect(cds.typeUrl).toBe(CDS);
    await ack(s, cds);
    const edsNames = names(cds).filter((n) => n.startsWith('outbound|'));
    s.send({ typeUrl: EDS, resourceNames: edsNames });
    const eds = await s.next();
    await ack(s, eds, edsNames);
    s.send({ typeUrl: LDS });
    const lds = await s.next();
    await ack(s, lds);
    s.send({ typeUrl: RDS, resourceNames: ['9080'] });
    const rds = await s.next();
    await ack(s, rds, ['9080']);
    return { s, cds, rds };
  }

  it('SotW: serves a sidecar CDS, EDS, LDS and RDS named the Istio way, and accepts ACKs', async () => {
    const { s, cds, rds } = await syncedSidecar();
    expect(names(cds)).toEqual(
      expect.arrayContaining([
        `outbound|9080||${REVIEWS}`,
        `outbound|9080|v1|${REVIEWS}`,
        `outbound|9080|v2|${REVIEWS}`,
        'PassthroughCluster',
        'BlackHoleCluster',
      ]),
    );
    // Consistency: every cluster a route names is in the CDS of the same push.
    const cdsNames = new Set(names(cds));
    for (const c of routeClusters(rds)) expect(cdsNames.has(c)).toBe(true);
    expect(await s.quiet(200)).toBe(true);
    const sync = (pilot as unknown as { syncz(): { types: Record<string, { synced: boolean }> }[] }).syncz();
    expect(sync[0]!.types['cds']!.synced).toBe(true);
    expect(sync[0]!.types['rds']!.synced).toBe(true);
    // /debug/config_dump?proxyID=...: what the proxy holds, as Envoy JSON.
    const dump = (
      pilot as unknown as { configDump(id: string): Record<string, { '@type': string; name?: string }[]> }
    ).configDump('sidecar~10.0.9.9~productpage.default~default.svc.cluster.local');
    expect(dump['lds']!.map((l) => l.name)).toContain('virtualOutbound');
    expect(dump['cds']![0]!['@type']).toBe('type.googleapis.com/envoy.config.cluster.v3.Cluster');
    expect(dump['rds']!.map((r) => r.name)).toEqual(['9080']);
    expect(dump['eds']!.length).toBeGreaterThan(0);
    s.end();
  });

  it('pushes a config change make-before-break: clusters before the routes that name them', async () => {
    const { s } = await syncedSidecar();
    pilot.setConfig([
      ...baseConfig().slice(0, 2),
      destinationRule(['v1', 'v2', 'v3']),
      reviewsRoute({ v1: 50, v3: 50 }),
    ]);
    await pilot.flush();
    const first = await s.next();
    const second = await s.next();
    expect([first.typeUrl, second.typeUrl]).toEqual([CDS, RDS]);
    expect(names(first)).toContain(`outbound|9080|v3|${REVIEWS}`);
    expect(routeClusters(second)).toContain(`outbound|9080|v3|${REVIEWS}`);
    s.end();
  });

  it('counts a NACK, keeps the rejected version out, and shows it on syncz', async () => {
    const s = client.sotw();
    s.send({ node: sidecar, typeUrl: CDS });
    const cds = await s.next();
    s.send({
      typeUrl: CDS,
      versionInfo: '',
      responseNonce: cds.nonce,
      errorDetail: { code: 3, message: 'cluster x: bad' },
    });
    expect(await s.quiet(300)).toBe(true);
    expect(pilot.metrics.get('pilot_total_xds_rejects', { type: 'cds' })).toBe(1);
    const sync = (
      pilot as unknown as { syncz(): { types: Record<string, { lastNack?: { message: string } }> }[] }
    ).syncz();
    expect(sync[0]!.types['cds']!.lastNack?.message).toBe('cluster x: bad');
    s.end();
  });

  it('ignores a request carrying a stale nonce', async () => {
    const s = client.sotw();
    s.send({ node: sidecar, typeUrl: EDS, resourceNames: [`outbound|9080||${REVIEWS}`] });
    const first = await s.next();
    await ack(s, first, [`outbound|9080||${REVIEWS}`]);
    s.send({ typeUrl: EDS, resourceNames: [`outbound|9080||${RATINGS}`], responseNonce: 'stale-nonce' });
    expect(await s.quiet(300)).toBe(true);
    expect(pilot.metrics.get('pilot_xds_expired_nonce', { type: 'eds' })).toBe(1);
    s.end();
  });

  it('answers a reconnecting client with its full state', async () => {
    const s1 = client.sotw();
    s1.send({ node: sidecar, typeUrl: CDS });
    const before = await s1.next();
    s1.cancel();
    await s1.closed;
    const s2 = client.sotw();
    s2.send({ node: sidecar, typeUrl: CDS, versionInfo: before.versionInfo });
    const after = await s2.next();
    expect(after.versionInfo).toBe(before.versionInfo);
    expect(names(after).sort()).toEqual(names(before).sort());
    s2.end();
  });

  it('SotW incremental EDS: an endpoint change pushes only the affected ClusterLoadAssignments, only to subscribers', async () => {
    const reviews = client.sotw();
    const ratings = client.sotw();
    const rn = [`outbound|9080||${REVIEWS}`, `outbound|9080|v1|${REVIEWS}`, `outbound|9080|v2|${REVIEWS}`];
    reviews.send({ node: sidecar, typeUrl: EDS, resourceNames: rn });
    await ack(reviews, await reviews.next(), rn);
    ratings.send({ node: sidecar, typeUrl: EDS, resourceNames: [`outbound|9080||${RATINGS}`] });
    await ack(ratings, await ratings.next(), [`outbound|9080||${RATINGS}`]);
    const reg = await registry.register({
      service: REVIEWS,
      address: '10.0.0.3',
      port: 9080,
      protocol: 'http',
      labels: { app: 'reviews', version: 'v1' },
    });
    const push = await reviews.next();
    expect(push.typeUrl).toBe(EDS);
    expect(names(push).sort()).toEqual([`outbound|9080||${REVIEWS}`, `outbound|9080|v1|${REVIEWS}`].sort());
    const cla = decodeAny(EDS, push.resources[0]!);
    expect(
      cla.endpoints.flatMap((l) => l.lbEndpoints).map((e) => e?.endpoint?.address?.socketAddress?.address),
    ).toContain('10.0.0.3');
    expect(await ratings.quiet(300)).toBe(true);
    // A config change that leaves endpoints alone then sends no assignment again (the client holds
    // them all, the partial push included).
    await ack(reviews, push, rn);
    pilot.setConfig([...baseConfig().slice(0, 3), reviewsRoute({ v1: 10, v2: 90 })]);
    await pilot.flush();
    expect(await reviews.quiet(300)).toBe(true);
    await reg.deregister();
    reviews.end();
    ratings.end();
  });

  it('Delta: sends only changed resources and names removed ones', async () => {
    const d = client.delta();
    const v1 = `outbound|9080|v1|${REVIEWS}`;
    const v2 = `outbound|9080|v2|${REVIEWS}`;
    d.send({ node: sidecar, typeUrl: EDS, resourceNamesSubscribe: [v1, v2] });
    const first = await d.next();
    expect(first.resources.map((r) => r.name).sort()).toEqual([v1, v2]);
    d.send({ typeUrl: EDS, responseNonce: first.nonce });
    const reg = await registry.register({
      service: REVIEWS,
      address: '10.0.0.4',
      port: 9080,
      protocol: 'http',
      labels: { app: 'reviews', version: 'v2' },
    });
    const change = await d.next();
    expect(change.resources.map((r) => r.name)).toEqual([v2]);
    d.send({ typeUrl: EDS, responseNonce: change.nonce });
    // Remove subset v2 from the DestinationRule: its cluster is gone, so the client is told.
    d.send({ typeUrl: CDS, resourceNamesSubscribe: ['*'] });
    const cds = await d.next();
    d.send({ typeUrl: CDS, responseNonce: cds.nonce });
    pilot.setConfig([...baseConfig().slice(0, 2), destinationRule(['v1']), reviewsRoute({ v1: 100 })]);
    await pilot.flush();
    const seen: envoy.service.discovery.v3.DeltaDiscoveryResponse[] = [];
    for (let i = 0; i < 2; i++) seen.push(await d.next());
    const eds = seen.find((r) => r.typeUrl === EDS)!;
    expect(eds.removedResources).toEqual([v2]);
    const cdsChange = seen.find((r) => r.typeUrl === CDS)!;
    expect(cdsChange.removedResources).toContain(v2);
    expect(seen[0]!.typeUrl).toBe(CDS);
    await reg.deregister();
    d.end();
  });

  it('Delta: counts a NACK and does not resend the rejected resources until they change', async () => {
    const d = client.delta();
    d.send({ node: sidecar, typeUrl: CDS, resourceNamesSubscribe: ['*'] });
    const first = await d.next();
    d.send({ typeUrl: CDS, responseNonce: first.nonce, errorDetail: { code: 3, message: 'no thanks' } });
    expect(await d.quiet(300)).toBe(true);
    expect(pilot.metrics.get('pilot_total_xds_rejects', { type: 'cds' })).toBe(1);
    d.end();
  });

  it('ends a stream whose request has no type URL with INVALID_ARGUMENT', async () => {
    const s = client.sotw();
    s.send({ node: sidecar });
    await s.closed;
    expect(s.status?.code).toBe(3);
  });
});
