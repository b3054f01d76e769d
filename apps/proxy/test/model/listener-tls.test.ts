// Listener translation of TLS filter chain matching: what is accepted, and what is NACKed with the
// field named.
import { pack, TcpProxyCodec } from '@strait/xds';
import { describe, expect, it } from 'vitest';
import { translateListener } from '../../src/model/listener.js';

type Match = { serverNames?: string[]; transportProtocol?: string };

function listener(matches: Match[], inspector = true) {
  return translateListener({
    name: 'tls',
    address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
    listenerFilters: inspector ? [{ name: 'envoy.filters.listener.tls_inspector' }] : [],
    filterChains: matches.map((m, i) => ({
      name: `c${i}`,
      filterChainMatch: m,
      filters: [
        {
          name: 'envoy.filters.network.tcp_proxy',
          typedConfig: pack(TcpProxyCodec, { statPrefix: `c${i}`, cluster: 'x' }),
        },
      ],
    })),
  });
}

function problems(t: ReturnType<typeof listener>): string[] {
  return t.ok ? [] : t.issues.map((i) => `${i.path}: ${i.code}: ${i.message}`);
}

describe('Listener TLS matching', () => {
  it('accepts server names (exact, wildcard, any case) and transport protocols, and marks the inspector', () => {
    const t = listener([
      { serverNames: ['A.example.com', '*.b.example.com'], transportProtocol: 'tls' },
      { transportProtocol: 'raw_buffer' },
      {},
    ]);
    expect(problems(t)).toEqual([]);
    if (!t.ok) return;
    expect(t.value.tlsInspector).toBe(true);
    expect(t.value.sniff).toBe(true);
    expect(t.value.filterChains[0]!.match.serverNames).toEqual(['a.example.com', '*.b.example.com']);
  });

  it('rejects partial wildcards, "*", empty names and unknown transport protocols, naming the field', () => {
    expect(
      problems(
        listener([{ serverNames: ['a*.example.com', '*', '', 'x..y'] }, { transportProtocol: 'quic' }]),
      ),
    ).toEqual([
      'filter_chains[0].filter_chain_match.server_names[0]: PROXY_ERR_INVALID_VALUE: "a*.example.com": only a leading "*." wildcard is supported',
      'filter_chains[0].filter_chain_match.server_names[1]: PROXY_ERR_INVALID_VALUE: "*" is not a server name; omit server_names to match any',
      'filter_chains[0].filter_chain_match.server_names[2]: PROXY_ERR_INVALID_VALUE: a server name is empty',
      'filter_chains[0].filter_chain_match.server_names[3]: PROXY_ERR_INVALID_VALUE: "x..y" is not a DNS name',
      'filter_chains[1].filter_chain_match.transport_protocol: PROXY_ERR_UNSUPPORTED: "quic" is not detected by any listener filter here (only "tls" and "raw_buffer")',
    ]);
  });

  it('rejects chains that share a server name with otherwise equal matches (Envoy expands per name)', () => {
    expect(
      problems(listener([{ serverNames: ['a.test', 'b.test'] }, { serverNames: ['c.test', 'b.test'] }])),
    ).toEqual([
      'filter_chains[1].filter_chain_match: PROXY_ERR_DUPLICATE: same match as filter_chains[0] for server name "b.test"',
    ]);
    expect(problems(listener([{ serverNames: ['a.test'] }, { serverNames: ['*.a.test'] }]))).toEqual([]);
  });

  it('rejects TLS matching without the tls_inspector listener filter (it could never match)', () => {
    expect(problems(listener([{ serverNames: ['a.test'] }, { transportProtocol: 'tls' }], false))).toEqual([
      'filter_chains[0].filter_chain_match: PROXY_ERR_INVALID_VALUE: matching on server_names or transport_protocol "tls" needs the envoy.filters.listener.tls_inspector listener filter',
      'filter_chains[1].filter_chain_match: PROXY_ERR_INVALID_VALUE: matching on server_names or transport_protocol "tls" needs the envoy.filters.listener.tls_inspector listener filter',
    ]);
  });
});
