// VirtualService delegation merged before translation (Istio's mergeVirtualServicesIfNeeded rules):
// match conjunction, conflicting delegate routes dropped, root fields where the delegate's are unset,
// missing/hidden delegates reported, one level only (nested delegation and cycles refused).
import type { HTTPRoute, VirtualService } from '@strait/config';
import { describe, expect, it } from 'vitest';
import { mergeDelegates, mergeHttpRoute, mergeMatches } from '../../src/model/delegation.js';
import { buildPushContext } from '../../src/model/push-context.js';

function vs(ns: string, name: string, spec: VirtualService['spec']): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: ns },
    spec,
  };
}
const to = (host: string): HTTPRoute['route'] => [{ destination: { host } }];
const fqdn = (host: string, ns: string) => (host.includes('.') ? host : `${host}.${ns}.svc.cluster.local`);

describe('mergeMatches', () => {
  it('narrows the root match with the delegate match (conjunction)', () => {
    expect(
      mergeMatches(
        [{ name: 'shop', uri: { prefix: '/shop' }, headers: { 'x-tenant': { exact: 'a' } } }],
        [{ name: 'cart', uri: { prefix: '/shop/cart' }, method: { exact: 'POST' } }],
      ),
    ).toEqual([
      {
        name: 'shop-cart',
        uri: { prefix: '/shop/cart' },
        method: { exact: 'POST' },
        headers: { 'x-tenant': { exact: 'a' } },
      },
    ]);
  });

  it('pairs every delegate match with each root match it does not conflict with', () => {
    const out = mergeMatches(
      [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }, { headers: { 'x-v': { exact: '1' } } }],
      [{ uri: { prefix: '/a/x' } }],
    );
    expect(out).toEqual([
      { uri: { prefix: '/a/x' } },
      { uri: { prefix: '/a/x' }, headers: { 'x-v': { exact: '1' } } },
    ]);
  });

  it('reports a conflict when a delegate match fits no root match', () => {
    expect(mergeMatches([{ uri: { prefix: '/a' } }], [{ uri: { prefix: '/b' } }])).toBeUndefined();
    expect(mergeMatches([{ uri: { exact: '/a' } }], [{ uri: { prefix: '/a' } }])).toBeUndefined();
    expect(mergeMatches([{ uri: { prefix: '/a' } }], [{ uri: { regex: '/a.*' } }])).toBeUndefined();
    expect(mergeMatches([{ port: 80 }], [{ port: 81 }])).toBeUndefined();
    expect(mergeMatches([{ ignoreUriCase: true }], [{}])).toBeUndefined();
    expect(
      mergeMatches([{ headers: { 'x-a': { exact: '1' } } }], [{ headers: { 'x-a': { exact: '2' } } }]),
    ).toBeUndefined();
    // One incompatible delegate match conflicts the whole route, even when another fits.
    expect(
      mergeMatches([{ uri: { prefix: '/a' } }], [{ uri: { prefix: '/a/1' } }, { uri: { prefix: '/z' } }]),
    ).toBe(undefined);
  });

  it('takes whichever side has matches when the other has none', () => {
    expect(mergeMatches([], [{ uri: { exact: '/x' } }])).toEqual([{ uri: { exact: '/x' } }]);
    expect(mergeMatches([{ uri: { exact: '/x' } }], [])).toEqual([{ uri: { exact: '/x' } }]);
  });
});

describe('mergeHttpRoute', () => {
  it('fills only what the delegate route leaves unset from the root route, names joined', () => {
    const merged = mergeHttpRoute(
      {
        name: 'root',
        delegate: { name: 'd' },
        timeout: '5s',
        retries: { attempts: 3 },
        corsPolicy: { allowOrigins: [{ exact: 'https://a' }] },
        headers: { request: { set: { 'x-root': '1' } } },
      },
      { name: 'leaf', timeout: '1s', route: to('svc.ns.svc.cluster.local') },
    );
    expect(merged).toEqual({
      name: 'root-leaf',
      timeout: '1s',
      retries: { attempts: 3 },
      corsPolicy: { allowOrigins: [{ exact: 'https://a' }] },
      headers: { request: { set: { 'x-root': '1' } } },
      route: to('svc.ns.svc.cluster.local'),
    });
    expect(merged).not.toHaveProperty('delegate');
  });
});

describe('mergeDelegates', () => {
  const root = vs('front', 'root', {
    hosts: ['shop.example.com'],
    http: [
      { name: 'first', match: [{ uri: { prefix: '/static' } }], route: to('static.front.svc.cluster.local') },
      {
        name: 'api',
        match: [{ uri: { prefix: '/api' } }],
        timeout: '3s',
        delegate: { name: 'api', namespace: 'back' },
      },
      { name: 'gone', delegate: { name: 'missing' } },
      { name: 'last', route: to('web.front.svc.cluster.local') },
    ],
  });
  const api = vs('back', 'api', {
    http: [
      { name: 'v2', match: [{ uri: { prefix: '/api/v2' } }], route: to('api-v2') },
      { name: 'other', match: [{ uri: { prefix: '/elsewhere' } }], route: to('api-v1') },
      { name: 'rest', route: to('api-v1') },
    ],
  });

  it('replaces a delegating route by the delegate routes in place, keeping root order', () => {
    const { virtualServices, problems } = mergeDelegates([root, api], fqdn);
    expect(virtualServices.map((v) => v.metadata.name)).toEqual(['root']);
    const http = virtualServices[0]!.spec.http!;
    expect(http.map((r) => r.name)).toEqual(['first', 'api-v2', 'api-rest', 'last']);
    expect(http[1]).toEqual({
      name: 'api-v2',
      match: [{ uri: { prefix: '/api/v2' } }],
      timeout: '3s',
      // Short names resolve in the delegate's namespace, not the root's.
      route: [{ destination: { host: 'api-v2.back.svc.cluster.local' } }],
    });
    expect(http[2]!.match).toEqual([{ uri: { prefix: '/api' } }]);
    expect(problems).toEqual([
      {
        root: 'front/root',
        route: 'spec.http[1]',
        delegate: 'back/api',
        reason: expect.stringContaining('its spec.http[1] matches nothing the root route matches'),
      },
      {
        root: 'front/root',
        route: 'spec.http[2]',
        delegate: 'front/missing',
        reason: expect.stringContaining('not found'),
      },
    ]);
    // The input objects are not mutated.
    expect(root.spec.http![1]!.delegate).toEqual({ name: 'api', namespace: 'back' });
  });

  it('drops a route whose delegate is not exported to the root namespace', () => {
    const hidden = vs('back', 'api', { ...api.spec, exportTo: ['.'] });
    const { virtualServices, problems } = mergeDelegates([root, hidden], fqdn);
    expect(virtualServices[0]!.spec.http!.map((r) => r.name)).toEqual(['first', 'last']);
    expect(problems.map((p) => p.reason)).toContainEqual(
      expect.stringContaining('not exported to namespace front'),
    );
    const exported = vs('back', 'api', { ...api.spec, exportTo: ['front'] });
    expect(mergeDelegates([root, exported], fqdn).virtualServices[0]!.spec.http!.length).toBe(4);
  });

  it('refuses nested delegation, so a cycle back to the root cannot loop', () => {
    // Validation rejects these; the merge is defensive anyway (one level, never recursive).
    const a = vs('ns', 'a', { hosts: ['a.example.com'], http: [{ delegate: { name: 'd' } }] });
    const d = vs('ns', 'd', {
      http: [
        { name: 'back-to-a', delegate: { name: 'a' } },
        { name: 'ok', route: to('x.example.com') },
      ],
    });
    const { virtualServices, problems } = mergeDelegates([a, d], fqdn);
    expect(virtualServices[0]!.spec.http!.map((r) => r.name)).toEqual(['ok']);
    expect(problems).toEqual([
      expect.objectContaining({
        delegate: 'ns/d',
        reason: expect.stringContaining('delegation is one level only'),
      }),
    ]);
    // A VirtualService with hosts is never a delegate, even if named as one.
    const viaHosts = mergeDelegates(
      [vs('ns', 'b', { hosts: ['b.example.com'], http: [{ delegate: { name: 'a' } }] }), a],
      fqdn,
    );
    expect(viaHosts.problems.map((p) => p.delegate)).toContain('ns/a');
  });
});

describe('delegation in the push context', () => {
  it('hands builders merged VirtualServices and keeps the problems for /debug/configz', () => {
    const ctx = buildPushContext({
      version: '1',
      architecture: 'three-in-one',
      config: [vs('default', 'root', { hosts: ['web.test'], http: [{ delegate: { name: 'nope' } }] })],
      instances: new Map(),
    });
    expect(ctx.virtualServices[0]!.spec.http).toEqual([]);
    expect(ctx.delegationProblems).toEqual([
      expect.objectContaining({ root: 'default/root', route: 'spec.http[0]', delegate: 'default/nope' }),
    ]);
  });
});
