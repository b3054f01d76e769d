// Dubbo URL parsing and the ZooKeeper child-name encoding, checked against URLs Dubbo itself wrote
// (the committed fixture) and the shapes Dubbo 2.7 / 3.x documentation shows.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeNodeName,
  encodeNodeName,
  formatDubboUrl,
  parseDubboUrl,
} from '../../../src/backends/zookeeper/dubbo-url.js';
import {
  decodeProviderNode,
  encodeProviderNode,
  instanceFromDubboUrl,
  providerNodeNeedsData,
} from '../../../src/backends/zookeeper/interface-layout.js';
import { normalizeInstance } from '../../../src/instance.js';
import type { DubboFixture } from './zk-tree.js';

const fixture = JSON.parse(
  readFileSync(resolve(import.meta.dirname, 'fixtures/dubbo-3.3.4-provider.json'), 'utf8'),
) as DubboFixture;
const providerNodes = fixture.nodes.filter((n) => n.path.includes('/providers/'));

/** The shape of a Dubbo 2.7 provider URL (with anyhost and pid, which 3.x leaves out of the registry). */
const DUBBO_27 =
  'dubbo://10.0.0.1:20880/com.foo.DemoService?anyhost=true&application=demo-provider&dubbo=2.0.2&generic=false&interface=com.foo.DemoService&methods=sayHello,sayBye&pid=123&release=3.2.0&revision=1.0.0&side=provider&timestamp=1700000000000&version=1.0.0&group=g1&weight=100';

describe('parseDubboUrl', () => {
  it('parses a full provider URL into protocol, host, port, path and raw parameters', () => {
    const r = parseDubboUrl(DUBBO_27);
    expect(r).toEqual({
      ok: true,
      value: {
        protocol: 'dubbo',
        host: '10.0.0.1',
        port: 20880,
        path: 'com.foo.DemoService',
        params: {
          anyhost: 'true',
          application: 'demo-provider',
          dubbo: '2.0.2',
          generic: 'false',
          interface: 'com.foo.DemoService',
          methods: 'sayHello,sayBye',
          pid: '123',
          release: '3.2.0',
          revision: '1.0.0',
          side: 'provider',
          timestamp: '1700000000000',
          version: '1.0.0',
          group: 'g1',
          weight: '100',
        },
      },
    });
  });

  it.each([
    ['IPv6 host', 'tri://[fe80::1]:50051/a.B?x=1', { host: 'fe80::1', port: 50051, protocol: 'tri' }],
    ['credentials', 'dubbo://u:p@h:1/a.B', { username: 'u', password: 'p', host: 'h', port: 1 }],
    ['no port', 'dubbo://h/a.B', { host: 'h', port: 0, path: 'a.B' }],
    ['bare key means key=key', 'dubbo://h:1/a?flag&x=', { params: { flag: 'flag', x: '' } }],
    ['value keeps later "="', 'dubbo://h:1/a?k=a=b', { params: { k: 'a=b' } }],
    ['no path', 'dubbo://h:1?k=v', { path: '', params: { k: 'v' } }],
  ])('handles %s', (_name, text, want) => {
    const r = parseDubboUrl(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject(want);
  });

  it.each([
    ['no scheme', '10.0.0.1:20880/a'],
    ['bad port', 'dubbo://h:99999/a'],
    ['non-numeric port', 'dubbo://h:abc/a'],
    ['empty host', 'dubbo://:1/a'],
    ['unclosed IPv6', 'dubbo://[fe80::1:1/a'],
  ])('rejects %s with a message naming the input', (_name, text) => {
    const r = parseDubboUrl(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(text);
  });
});

describe('ZooKeeper child names (Java URLEncoder, as Dubbo writes them)', () => {
  it('re-encodes every child name Dubbo 3.3.4 wrote byte for byte', () => {
    expect(providerNodes.length).toBe(2);
    for (const n of providerNodes) {
      const name = n.path.slice(n.path.lastIndexOf('/') + 1);
      const text = decodeNodeName(name);
      expect(text).toMatch(/^dubbo:\/\//);
      const url = parseDubboUrl(text as string);
      expect(url.ok).toBe(true);
      if (!url.ok) continue;
      expect(formatDubboUrl(url.value)).toBe(text);
      expect(encodeNodeName(formatDubboUrl(url.value))).toBe(name);
    }
  });

  it('encodes like URLEncoder: space as +, only A-Za-z0-9-_.* bare', () => {
    expect(encodeNodeName("a b!'()~*-_.:/?&=,")).toBe('a+b%21%27%28%29%7E*-_.%3A%2F%3F%26%3D%2C');
    expect(decodeNodeName('a+b%21%27%28%29%7E*')).toBe("a b!'()~*");
    expect(decodeNodeName('%E0%A4%A')).toBeUndefined();
  });
});

describe('provider URL → Instance', () => {
  it('maps a Dubbo 2.7-style URL onto instance fields, labels and metadata', () => {
    const url = parseDubboUrl(DUBBO_27);
    if (!url.ok) throw new Error(url.error);
    const r = instanceFromDubboUrl(url.value, 'com.foo.DemoService');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      id: '10.0.0.1:20880;group=g1;version=1.0.0',
      service: 'com.foo.DemoService',
      address: '10.0.0.1',
      port: 20880,
      protocol: 'dubbo',
      weight: 100,
      health: 'healthy',
      labels: { group: 'g1', version: '1.0.0' },
      application: 'demo-provider',
      interfaces: ['com.foo.DemoService'],
    });
    expect(r.value.metadata).toMatchObject({
      methods: 'sayHello,sayBye',
      timestamp: '1700000000000',
      pid: '123',
    });
  });

  it.each([
    ['tri → grpc', 'tri://h:1/a', { protocol: 'grpc' }],
    ['rest → http', 'rest://h:1/a', { protocol: 'http' }],
    ['unknown → tcp', 'thrift://h:1/a', { protocol: 'tcp' }],
    ['weight 0 floors at 1 (Envoy needs >= 1)', 'dubbo://h:1/a?weight=0', { weight: 1 }],
    ['junk weight → default', 'dubbo://h:1/a?weight=x', { weight: 100 }],
    ['enabled=false → unhealthy', 'dubbo://h:1/a?enabled=false', { health: 'unhealthy' }],
    ['no application → service', 'dubbo://h:1/a', { application: 'a' }],
    ['dubbo.tag → tag label', 'dubbo://h:1/a?dubbo.tag=gray', { labels: { tag: 'gray' } }],
  ])('%s', (_name, text, want) => {
    const url = parseDubboUrl(text);
    if (!url.ok) throw new Error(url.error);
    const r = instanceFromDubboUrl(url.value, 'a');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject(want);
  });

  it('rejects a provider URL without a port', () => {
    const url = parseDubboUrl('dubbo://h/a');
    if (!url.ok) throw new Error(url.error);
    expect(instanceFromDubboUrl(url.value, 'a').ok).toBe(false);
  });

  it('skips child names that are not Dubbo URLs', () => {
    expect(decodeProviderNode('not-a-url', undefined, 'a').ok).toBe(false);
    expect(decodeProviderNode('%ZZ', undefined, 'a').ok).toBe(false);
  });
});

describe('Instance → provider node (what Strait writes)', () => {
  const inst = normalizeInstance({
    service: 'com.foo.DemoService',
    address: '10.0.0.9',
    port: 20880,
    protocol: 'dubbo',
    weight: 50,
    labels: { version: '2.0.0', group: 'g2', cell: 'c1' },
    application: 'shop',
    interfaces: ['com.foo.DemoService'],
    metadata: { methods: 'a,b', 'bad&key': 'x', note: 'has space' },
  });

  it('names the node with a Dubbo-valid URL a Dubbo consumer can select by group/version', () => {
    const { name } = encodeProviderNode(inst, 1700000000000);
    const text = decodeNodeName(name) as string;
    const url = parseDubboUrl(text);
    expect(url.ok).toBe(true);
    if (!url.ok) return;
    expect(url.value).toMatchObject({
      protocol: 'dubbo',
      host: '10.0.0.9',
      port: 20880,
      path: 'com.foo.DemoService',
    });
    expect(url.value.params).toMatchObject({
      interface: 'com.foo.DemoService',
      application: 'shop',
      side: 'provider',
      version: '2.0.0',
      group: 'g2',
      weight: '50',
      methods: 'a,b',
      timestamp: '1700000000000',
      dubbo: '2.0.2',
    });
    // Parameters Dubbo could not split back are kept out of the URL (they live in the node data).
    expect(url.value.params).not.toHaveProperty('bad&key');
    expect(url.value.params).not.toHaveProperty('note');
    // Dubbo-level readers would derive `host:port;group=..;version=..`; the registered id travels along.
    expect(url.value.params['strait.id']).toBe('10.0.0.9:20880');
    const plain = normalizeInstance({ service: 's', address: 'h', port: 1 });
    expect(decodeNodeName(encodeProviderNode(plain, 1).name)).not.toContain('strait.id');
  });

  it('round-trips the exact instance through node data, and through the URL alone for Dubbo fields', () => {
    const { name, data } = encodeProviderNode(inst, 1);
    expect(decodeProviderNode(name, data, inst.service)).toEqual({ ok: true, value: inst });
    const viaUrl = decodeProviderNode(name, Buffer.from('10.0.0.9'), inst.service);
    expect(viaUrl.ok).toBe(true);
    if (viaUrl.ok) {
      expect(viaUrl.value).toMatchObject({
        id: inst.id,
        address: '10.0.0.9',
        port: 20880,
        weight: 50,
        application: 'shop',
      });
    }
  });

  it('flags Strait-written nodes (data worth reading) and only those', () => {
    expect(providerNodeNeedsData(encodeProviderNode(inst, 1).name)).toBe(true);
    for (const n of providerNodes) expect(providerNodeNeedsData(n.path.split('/').pop() ?? '')).toBe(false);
  });

  it('carries a custom id in strait.id so Dubbo-level readers see the same id', () => {
    const custom = normalizeInstance({ service: 's', address: 'h', port: 1, id: 'pod-7' });
    const { name } = encodeProviderNode(custom, 1);
    const viaUrl = decodeProviderNode(name, undefined, 's');
    expect(viaUrl.ok && viaUrl.value.id).toBe('pod-7');
  });
});
