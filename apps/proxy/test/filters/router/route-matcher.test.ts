import { describe, expect, it } from 'vitest';
import { matchRoute, selectVirtualHost } from '../../../src/filters/router/route-matcher.js';
import { translateRouteConfiguration } from '../../../src/model/route.js';

function table() {
  const t = translateRouteConfiguration({
    name: 'rc',
    virtualHosts: [
      {
        name: 'exact',
        domains: ['api.example.com'],
        routes: [{ match: { prefix: '/' }, route: { cluster: 'exact' } }],
      },
      {
        name: 'suffix-long',
        domains: ['*.b.example.com'],
        routes: [{ match: { prefix: '/' }, route: { cluster: 'suffix-long' } }],
      },
      {
        name: 'suffix',
        domains: ['*.example.com'],
        routes: [{ match: { prefix: '/' }, route: { cluster: 'suffix' } }],
      },
      {
        name: 'prefix',
        domains: ['api.*'],
        routes: [{ match: { prefix: '/' }, route: { cluster: 'prefix' } }],
      },
      {
        name: 'any',
        domains: ['*'],
        routes: [
          { name: 'exact-path', match: { path: '/a' }, route: { cluster: 'x' } },
          { name: 'ci', match: { prefix: '/CI', caseSensitive: { value: false } }, route: { cluster: 'x' } },
          { name: 'sep', match: { pathSeparatedPrefix: '/sep' }, route: { cluster: 'x' } },
          { name: 'regex', match: { safeRegex: { regex: '/r/[0-9]+' } }, route: { cluster: 'x' } },
          {
            name: 'hdr',
            match: {
              prefix: '/h',
              headers: [
                { name: 'x-v', stringMatch: { prefix: 'v1' } },
                { name: 'x-no', presentMatch: true, invertMatch: true },
                { name: ':method', stringMatch: { exact: 'POST' } },
              ],
            },
            route: { cluster: 'x' },
          },
          {
            name: 'range',
            match: { prefix: '/range', headers: [{ name: 'x-n', rangeMatch: { start: 10, end: 20 } }] },
            route: { cluster: 'x' },
          },
          {
            name: 'query',
            match: { prefix: '/q', queryParameters: [{ name: 'debug', presentMatch: true }] },
            route: { cluster: 'x' },
          },
          { name: 'grpc', match: { prefix: '/svc.', grpc: {} }, route: { cluster: 'x' } },
        ],
      },
    ],
  });
  if (!t.ok) throw new Error(JSON.stringify(t.issues));
  return t.value;
}

describe('virtual host selection', () => {
  const t = table();
  it.each([
    ['api.example.com', 'exact'],
    ['API.EXAMPLE.COM', 'exact'],
    // Envoy matches the authority with its port first: "api.*" wins over the port-less exact domain.
    ['api.example.com:443', 'prefix'],
    ['x.example.com:443', 'suffix'],
    ['x.b.example.com', 'suffix-long'],
    ['x.example.com', 'suffix'],
    ['api.other.org', 'prefix'],
    ['elsewhere', 'any'],
  ])('%s -> %s', (authority, vh) => {
    expect(selectVirtualHost(t, authority)?.name).toBe(vh);
  });
});

describe('route matching', () => {
  const vh = table().virtualHosts.at(-1)!;
  const m = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    matchRoute(vh, {
      path,
      headers,
      method,
      ...(headers['content-type'] ? { contentType: headers['content-type'] } : {}),
    })?.name;
  it('matches paths: exact, case-insensitive prefix, separated prefix, full-match regex', () => {
    expect(m('/a')).toBe('exact-path');
    expect(m('/a/b')).toBeUndefined();
    expect(m('/ci/x')).toBe('ci');
    expect(m('/sep')).toBe('sep');
    expect(m('/sep/x')).toBe('sep');
    expect(m('/sepx')).toBeUndefined();
    expect(m('/r/123')).toBe('regex');
    expect(m('/r/123x')).toBeUndefined();
  });
  it('matches headers (string, presence, invert, pseudo-headers, ranges), query params and gRPC', () => {
    expect(m('/h', { 'x-v': 'v1.2' }, 'POST')).toBe('hdr');
    expect(m('/h', { 'x-v': 'v1.2' }, 'GET')).toBeUndefined();
    expect(m('/h', { 'x-v': 'v1.2', 'x-no': '1' }, 'POST')).toBeUndefined();
    expect(m('/range', { 'x-n': '15' })).toBe('range');
    expect(m('/range', { 'x-n': '20' })).toBeUndefined();
    expect(m('/q?debug')).toBe('query');
    expect(m('/q?x=1')).toBeUndefined();
    expect(m('/svc.Foo/Bar', { 'content-type': 'application/grpc' })).toBe('grpc');
    expect(m('/svc.Foo/Bar')).toBeUndefined();
  });
});
