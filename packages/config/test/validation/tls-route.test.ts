// Istio's rules for VirtualService `tls` matches: every SNI host must be a subset of one of the
// VirtualService's hosts; an IP address is accepted with a warning.
import { describe, expect, it } from 'vitest';
import { validate } from '../../src/index.js';

function tlsVs(hosts: string[], sniHosts: string[]) {
  return validate({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'edge', namespace: 'default' },
    spec: {
      hosts,
      tls: [{ match: [{ sniHosts }], route: [{ destination: { host: 'edge.test' } }] }],
    },
  });
}

describe('VirtualService tls sniHosts', () => {
  it.each([
    [['edge.test'], ['edge.test']],
    [['*.example.com'], ['a.example.com', 'a.b.example.com', '*.example.com', '*.a.example.com']],
    [
      ['edge.test', '*.test'],
      ['anything.test', '*.x.test'],
    ],
    [['Edge.Test'], ['edge.test']],
  ])('hosts %j accept sniHosts %j', (hosts, sni) => {
    const r = tlsVs(hosts, sni);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it.each([
    [['edge.test'], 'other.test'],
    [['a.example.com'], '*.example.com'],
    [['*.example.com'], 'example.com'],
    [['*.a.example.com'], '*.example.com'],
  ])('hosts %j reject SNI host %j, naming the field and the hosts', (hosts, sni) => {
    const r = tlsVs(hosts, [sni]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      {
        code: 'CFG_ERR_INVALID_HOST',
        severity: 'error',
        path: 'spec.tls[0].match[0].sniHosts[0]',
        message: `SNI host "${sni}" is not a subset of any of the VirtualService hosts [${hosts.join(', ')}]`,
      },
    ]);
  });

  it('rejects a malformed SNI host as a host', () => {
    const r = tlsVs(['*.example.com'], ['a*.example.com']);
    expect(r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.code}`)).toEqual([
      'spec.tls[0].match[0].sniHosts[0]: CFG_ERR_INVALID_HOST',
    ]);
  });

  it('accepts an IP address with a warning, as Istio does', () => {
    const r = tlsVs(['edge.test'], ['10.0.0.1']);
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([
      expect.objectContaining({ code: 'CFG_WARN_SUSPICIOUS', path: 'spec.tls[0].match[0].sniHosts[0]' }),
    ]);
  });
});
