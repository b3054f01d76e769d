// Interface-level → application-level aggregation: the k·n → n collapse, the mapping, revision
// sharing, and the inverse (expand) that gives interface-level consumers their records back.
import { describe, expect, it } from 'vitest';
import {
  aggregate,
  expand,
  interfaceRecordId,
  META_ENDPOINTS,
  META_REVISION,
  metadataRevision,
} from '../src/app-level.js';
import { normalizeInstance } from '../src/instance.js';
import type { Instance, InstanceSpec } from '../src/types.js';

const IFACES = ['com.shop.Cart', 'com.shop.Order', 'com.shop.Pay'];

function record(app: string, host: string, iface: string, extra: Partial<InstanceSpec> = {}): Instance {
  const labels: Record<string, string> = { version: '1.0.0', zone: 'z1', ...(extra.labels ?? {}) };
  return normalizeInstance({
    service: iface,
    id: interfaceRecordId(host, 20880, labels['group'], labels['version']),
    address: host,
    port: 20880,
    protocol: 'dubbo',
    application: app,
    interfaces: [iface],
    metadata: { methods: 'a,b', timestamp: String(Math.random()), side: 'provider' },
    ...extra,
    labels,
  });
}

/** n hosts of `app`, each exporting every interface in IFACES. */
function fleet(app: string, n: number): Instance[] {
  const out: Instance[] = [];
  for (let h = 1; h <= n; h++) for (const i of IFACES) out.push(record(app, `10.0.0.${h}`, i));
  return out;
}

describe('aggregate', () => {
  it('turns k interfaces × n hosts into n application instances', () => {
    const view = aggregate([
      ...fleet('shop', 4),
      ...fleet('cart-svc', 2).map((r) => ({ ...r, address: `10.1.0.${r.address.split('.')[3]}` })),
    ]);
    expect(view.instances).toHaveLength(6);
    expect(view.instances.map((i) => `${i.service}/${i.id}`)).toEqual([
      'cart-svc/10.1.0.1:20880',
      'cart-svc/10.1.0.2:20880',
      'shop/10.0.0.1:20880',
      'shop/10.0.0.2:20880',
      'shop/10.0.0.3:20880',
      'shop/10.0.0.4:20880',
    ]);
    const shop1 = view.instances[2] as Instance;
    expect(shop1).toMatchObject({
      service: 'shop',
      application: 'shop',
      address: '10.0.0.1',
      port: 20880,
      protocol: 'dubbo',
      interfaces: IFACES,
      // Labels every interface shares stay on the instance; per-interface ones live in the metadata.
      labels: { version: '1.0.0', zone: 'z1' },
    });
    expect(JSON.parse(shop1.metadata[META_ENDPOINTS] ?? '')).toEqual([{ protocol: 'dubbo', port: 20880 }]);
  });

  it('builds the interface → application mapping (Dubbo /mapping/<interface>)', () => {
    const view = aggregate([...fleet('shop', 2), record('legacy', '10.9.0.1', 'com.shop.Pay')]);
    expect([...view.mapping]).toEqual([
      ['com.shop.Cart', ['shop']],
      ['com.shop.Order', ['shop']],
      ['com.shop.Pay', ['legacy', 'shop']],
    ]);
  });

  it('shares one revision among hosts exporting the same set (timestamps and pids do not count)', () => {
    const view = aggregate(fleet('shop', 50));
    expect(view.metadata.size).toBe(1);
    const revs = new Set(view.instances.map((i) => i.metadata[META_REVISION]));
    expect(revs.size).toBe(1);
    const [infos] = [...view.metadata.values()];
    expect(infos?.map((i) => i.interface)).toEqual(IFACES);
    expect(infos?.[0]?.params).toEqual({ methods: 'a,b', side: 'provider' });
  });

  it('gives a host with a different interface set (a canary) its own revision', () => {
    const canary = record('shop', '10.0.0.99', 'com.shop.Cart', { labels: { version: '2.0.0' } });
    const view = aggregate([...fleet('shop', 3), canary]);
    expect(view.metadata.size).toBe(2);
    const c = view.instances.find((i) => i.address === '10.0.0.99');
    expect(c?.labels).toEqual({ version: '2.0.0', zone: 'z1' });
  });

  it('keeps one host:port exporting an interface under two groups as two entries of one instance', () => {
    const a = record('shop', '10.0.0.1', 'com.shop.Cart', { labels: { group: 'a' } });
    const b = record('shop', '10.0.0.1', 'com.shop.Cart', { labels: { group: 'b' } });
    const view = aggregate([a, b]);
    expect(view.instances).toHaveLength(1);
    expect(view.instances[0]?.interfaces).toEqual(['com.shop.Cart']);
    expect([...view.metadata.values()][0]).toHaveLength(2);
  });

  it('picks the dubbo endpoint as primary when a host serves several protocols', () => {
    const tri = record('shop', '10.0.0.1', 'com.shop.Cart', { protocol: 'grpc', port: 50051 });
    const dubbo = record('shop', '10.0.0.1', 'com.shop.Order', { port: 20880 });
    const [inst] = aggregate([tri, dubbo]).instances;
    expect(inst).toMatchObject({ id: '10.0.0.1:20880', port: 20880, protocol: 'dubbo' });
    expect(JSON.parse(inst?.metadata[META_ENDPOINTS] ?? '')).toEqual([
      { protocol: 'dubbo', port: 20880 },
      { protocol: 'grpc', port: 50051 },
    ]);
  });

  it('revision ignores order and changes with content', () => {
    const infos = [...aggregate(fleet('shop', 1)).metadata.values()][0] ?? [];
    expect(metadataRevision([...infos].reverse())).toBe(metadataRevision(infos));
    expect(metadataRevision(infos.slice(1))).not.toBe(metadataRevision(infos));
  });
});

describe('expand (application level back to interface level)', () => {
  it('restores every record minus per-host volatile parameters', () => {
    const records = [
      ...fleet('shop', 3),
      record('shop', '10.0.0.7', 'com.shop.Cart', { labels: { group: 'g' } }),
    ];
    const view = aggregate(records);
    const { records: back, unknownRevisions } = expand(view.instances, view.metadata);
    expect(unknownRevisions).toEqual([]);
    const strip = (r: Instance): Instance => {
      const { timestamp: _t, ...metadata } = r.metadata;
      return { ...r, metadata };
    };
    const key = (r: Instance): string => `${r.service}/${r.id}`;
    expect(back.map(strip).sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      records.map(strip).sort((a, b) => key(a).localeCompare(key(b))),
    );
  });

  it('reports instances whose revision metadata is missing instead of guessing', () => {
    const view = aggregate(fleet('shop', 1));
    const { records, unknownRevisions } = expand(view.instances, new Map());
    expect(records).toEqual([]);
    expect(unknownRevisions).toEqual([view.instances[0]?.metadata[META_REVISION]]);
  });
});
