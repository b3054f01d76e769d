// VirtualService delegation (Istio's rules): a VirtualService without hosts is a delegate; a root
// route's `delegate` names one, excludes route/redirect/directResponse, and cannot match by regex;
// a delegate has no gateways, no tls/tcp routes and cannot delegate further.
import { describe, expect, it } from 'vitest';
import { validate } from '../../src/index.js';

const vsOf = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'shop' },
  spec,
});

function errors(doc: unknown) {
  const r = validate(doc);
  return r.ok ? [] : r.errors.map((e) => [e.code, e.path]);
}

describe('VirtualService delegation', () => {
  it('accepts a root that delegates and a delegate without hosts, with no warnings', () => {
    const root = validate(
      vsOf('root', {
        hosts: ['shop.example.com'],
        http: [
          { match: [{ uri: { prefix: '/cart' } }], delegate: { name: 'cart', namespace: 'cart' } },
          { delegate: { name: 'rest' } },
        ],
      }),
    );
    expect(root.ok).toBe(true);
    expect(root.warnings).toEqual([]);
    // Accepted objects keep the delegate (it is no longer stripped as unsupported).
    expect(root.ok && root.object.kind === 'VirtualService' && root.object.spec.http?.[0]?.delegate).toEqual({
      name: 'cart',
      namespace: 'cart',
    });
    const delegate = validate(
      vsOf('cart', { http: [{ route: [{ destination: { host: 'cart.cart.svc.cluster.local' } }] }] }),
    );
    expect(delegate.ok).toBe(true);
  });

  it('requires a delegate name and excludes route, redirect and directResponse', () => {
    expect(
      errors(
        vsOf('root', {
          hosts: ['a.example.com'],
          http: [
            { delegate: { namespace: 'x' } },
            { delegate: { name: 'd' }, route: [{ destination: { host: 'a.example.com' } }] },
            { delegate: { name: 'Not_A_Name' }, directResponse: { status: 200 } },
          ],
        }),
      ),
    ).toEqual([
      ['CFG_ERR_MISSING_FIELD', 'spec.http[0].delegate.name'],
      ['CFG_ERR_ONEOF', 'spec.http[1]'],
      ['CFG_ERR_INVALID_NAME', 'spec.http[2].delegate.name'],
      ['CFG_ERR_ONEOF', 'spec.http[2]'],
    ]);
  });

  it('refuses regex matches on a delegating route', () => {
    expect(
      errors(
        vsOf('root', {
          hosts: ['a.example.com'],
          http: [
            {
              match: [
                { uri: { regex: '/v[0-9]+' }, headers: { 'x-a': { regex: 'b.*' }, 'x-b': { exact: 'c' } } },
              ],
              delegate: { name: 'd' },
            },
          ],
        }),
      ),
    ).toEqual([
      ['CFG_ERR_INVALID_VALUE', 'spec.http[0].match[0].uri'],
      ['CFG_ERR_INVALID_VALUE', 'spec.http[0].match[0].headers.x-a'],
    ]);
  });

  it('allows empty hosts only for delegates: no gateways, only http, no further delegation', () => {
    expect(
      errors(
        vsOf('d', {
          gateways: ['mesh'],
          http: [{ delegate: { name: 'deeper' } }],
          tcp: [{ route: [{ destination: { host: 'db.example.com' } }] }],
        }),
      ),
    ).toEqual([
      ['CFG_ERR_INVALID_VALUE', 'spec.gateways'],
      ['CFG_ERR_INVALID_VALUE', 'spec.tcp'],
      ['CFG_ERR_INVALID_VALUE', 'spec.http[0].delegate'],
    ]);
    expect(errors(vsOf('empty', {}))).toEqual([['CFG_ERR_MISSING_FIELD', 'spec']]);
  });
});
