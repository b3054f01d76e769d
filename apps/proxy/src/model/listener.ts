// Listener -> ListenerModel: address, filter chains with their match criteria, and one network filter
// per chain, translated by its registered factory (filters/registry.ts).
import { envoy } from '@strait/xds';
import { anyTypeName } from '../config/any.js';
import { IssueList, type Translation } from '../errors.js';
import {
  type NetworkFilterConfigs,
  type NetworkFilterKind,
  networkFilterByKind,
  networkFilterFor,
} from '../filters/registry.js';
import { setup } from '../setup.js';
import { durationMs, type SocketAddressModel, translateAddress, wrapped } from './common.js';

type Listener = envoy.config.listener.v3.Listener.$Properties;
type FilterChain = envoy.config.listener.v3.FilterChain.$Properties;

export interface CidrModel {
  address: string;
  prefixLen: number;
}

export interface FilterChainMatchModel {
  destinationPort?: number;
  prefixRanges: CidrModel[];
  sourcePrefixRanges: CidrModel[];
  sourcePorts: number[];
  /** "tls", "raw_buffer", or empty = any. */
  transportProtocol: string;
  /** ALPN values of a ClientHello, or sniffed: "http/1.1", "h2c", "dubbo"; empty = any. */
  applicationProtocols: string[];
  /** SNI: exact names and `*.suffix` wildcards, lower case; empty = any. */
  serverNames: string[];
}

/** The chain's terminal network filter, typed by its registered kind. */
export type NetworkFilterModel = {
  [K in NetworkFilterKind]: { kind: K; name: string; config: NetworkFilterConfigs[K] };
}[NetworkFilterKind];

export interface FilterChainModel {
  name: string;
  match: FilterChainMatchModel;
  filter: NetworkFilterModel;
}

export type TrafficDirection = 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';

export interface ListenerModel {
  name: string;
  address: SocketAddressModel;
  filterChains: FilterChainModel[];
  defaultFilterChain?: FilterChainModel;
  /** Read the first bytes to pick a chain (protocol sniffing); false for server-first TCP listeners. */
  sniff: boolean;
  sniffTimeoutMs: number;
  useOriginalDst: boolean;
  /** `envoy.filters.listener.original_dst` is configured: chains match on the pre-REDIRECT destination. */
  originalDstFilter?: boolean;
  /** `envoy.filters.listener.tls_inspector` is configured: a ClientHello's SNI and ALPN are read first. */
  tlsInspector?: boolean;
  bindToPort: boolean;
  direction: TrafficDirection;
  perConnectionBufferLimitBytes: number;
}

const TD = envoy.config.core.v3.TrafficDirection;
const KNOWN_LISTENER_FILTERS = new Set([
  'envoy.filters.listener.http_inspector',
  'envoy.filters.listener.original_dst',
  'envoy.filters.listener.tls_inspector',
]);

export function translateListener(l: Listener, resourceLabel?: string): Translation<ListenerModel> {
  const issues = new IssueList(resourceLabel ?? `Listener "${l.name ?? ''}"`);
  const value = translateListenerInto(l, issues);
  return issues.ok ? { ok: true, value } : { ok: false, issues: issues.items };
}

export function translateListenerInto(l: Listener, issues: IssueList): ListenerModel {
  setup();
  if (!l.name) issues.add('PROXY_ERR_MISSING_FIELD', 'name', 'a listener name is required');
  const address = translateAddress(l.address, issues, 'address', true) ?? { host: '0.0.0.0', port: 0 };
  const filterChains = (l.filterChains ?? []).map((fc, i) =>
    translateChain(fc, issues, `filter_chains[${i}]`),
  );
  const names = new Set<string>();
  filterChains.forEach((fc, i) => {
    if (fc.name && names.has(fc.name))
      issues.add('PROXY_ERR_DUPLICATE', `filter_chains[${i}].name`, `"${fc.name}" is used twice`);
    names.add(fc.name);
  });
  // Envoy compares matches per server name: two chains sharing one name (all else equal) are ambiguous.
  const seen = new Map<string, number>();
  filterChains.forEach((fc, i) => {
    const names = fc.match.serverNames.length > 0 ? fc.match.serverNames : [''];
    for (const name of new Set(names)) {
      const key = JSON.stringify({ ...fc.match, serverNames: name });
      const prev = seen.get(key);
      if (prev !== undefined && prev !== i) {
        issues.add(
          'PROXY_ERR_DUPLICATE',
          `filter_chains[${i}].filter_chain_match`,
          `same match as filter_chains[${prev}]${name ? ` for server name "${name}"` : ''}`,
        );
        break;
      }
      seen.set(key, i);
    }
  });
  (l.listenerFilters ?? []).forEach((lf, i) => {
    if (!KNOWN_LISTENER_FILTERS.has(lf.name ?? '')) {
      issues.add(
        'PROXY_ERR_UNSUPPORTED',
        `listener_filters[${i}]`,
        `listener filter "${lf.name}" is not supported`,
      );
    }
  });
  const model: ListenerModel = {
    name: l.name ?? '',
    address,
    filterChains,
    sniff: false,
    sniffTimeoutMs: durationMs(l.listenerFiltersTimeout, 15_000),
    useOriginalDst: wrapped(l.useOriginalDst, false),
    originalDstFilter: (l.listenerFilters ?? []).some(
      (lf) => lf.name === 'envoy.filters.listener.original_dst',
    ),
    tlsInspector: (l.listenerFilters ?? []).some((lf) => lf.name === 'envoy.filters.listener.tls_inspector'),
    bindToPort: wrapped(l.bindToPort, true),
    direction:
      l.trafficDirection === TD.INBOUND
        ? 'INBOUND'
        : l.trafficDirection === TD.OUTBOUND
          ? 'OUTBOUND'
          : 'UNSPECIFIED',
    perConnectionBufferLimitBytes: wrapped(l.perConnectionBufferLimitBytes, 1024 * 1024),
  };
  if (l.defaultFilterChain)
    model.defaultFilterChain = translateChain(l.defaultFilterChain, issues, 'default_filter_chain');
  if (filterChains.length === 0 && !model.defaultFilterChain) {
    issues.add(
      'PROXY_ERR_MISSING_FIELD',
      'filter_chains',
      'at least one filter chain or a default_filter_chain is required',
    );
  }
  const all = [...filterChains, ...(model.defaultFilterChain ? [model.defaultFilterChain] : [])];
  // Without the inspector nothing would ever set SNI or "tls": such chains could never match.
  if (!model.tlsInspector) {
    all.forEach((fc, i) => {
      if (fc.match.serverNames.length > 0 || fc.match.transportProtocol === 'tls')
        issues.add(
          'PROXY_ERR_INVALID_VALUE',
          i < filterChains.length ? `filter_chains[${i}].filter_chain_match` : 'default_filter_chain',
          'matching on server_names or transport_protocol "tls" needs the envoy.filters.listener.tls_inspector listener filter',
        );
    });
  }
  // Sniff unless every chain is plain TCP without protocol criteria: server-first protocols (MySQL,
  // SMTP) must not wait for client bytes that never come. The TLS inspector waits for the client too.
  model.sniff =
    model.tlsInspector ||
    all.some(
      (fc) => !networkFilterByKind(fc.filter.kind)?.serverFirst || fc.match.applicationProtocols.length > 0,
    );
  return model;
}

function translateCidrs(
  ranges:
    | readonly { addressPrefix?: string | null; prefixLen?: { value?: number | null } | null }[]
    | null
    | undefined,
  issues: IssueList,
  path: string,
): CidrModel[] {
  return (ranges ?? []).map((r, i) => {
    const address = r.addressPrefix ?? '';
    const max = address.includes(':') ? 128 : 32;
    const prefixLen = wrapped(r.prefixLen, max);
    if (!address)
      issues.add('PROXY_ERR_MISSING_FIELD', `${path}[${i}].address_prefix`, 'an address prefix is required');
    if (prefixLen > max)
      issues.add('PROXY_ERR_INVALID_VALUE', `${path}[${i}].prefix_len`, `${prefixLen} is above ${max}`);
    return { address, prefixLen };
  });
}

/** Values the TLS inspector reports (empty: any). */
const TRANSPORT_PROTOCOLS = new Set(['', 'tls', 'raw_buffer']);

/** Exact names and `*.suffix` wildcards (Envoy rejects partial wildcards such as `a*.example.com`). */
function translateServerNames(names: readonly string[], issues: IssueList, path: string): string[] {
  return names.map((raw, i) => {
    const name = raw.toLowerCase();
    const rest = name.startsWith('*.') ? name.slice(2) : name;
    if (name === '') issues.add('PROXY_ERR_INVALID_VALUE', `${path}[${i}]`, 'a server name is empty');
    else if (name === '*')
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${path}[${i}]`,
        '"*" is not a server name; omit server_names to match any',
      );
    else if (rest.includes('*'))
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${path}[${i}]`,
        `"${raw}": only a leading "*." wildcard is supported`,
      );
    else if (rest === '' || rest.startsWith('.') || rest.endsWith('.') || rest.includes('..'))
      issues.add('PROXY_ERR_INVALID_VALUE', `${path}[${i}]`, `"${raw}" is not a DNS name`);
    return name;
  });
}

function translateChain(fc: FilterChain, issues: IssueList, path: string): FilterChainModel {
  const m = fc.filterChainMatch;
  const match: FilterChainMatchModel = {
    prefixRanges: translateCidrs(m?.prefixRanges, issues, `${path}.filter_chain_match.prefix_ranges`),
    sourcePrefixRanges: translateCidrs(
      m?.sourcePrefixRanges,
      issues,
      `${path}.filter_chain_match.source_prefix_ranges`,
    ),
    sourcePorts: (m?.sourcePorts ?? []).map(Number),
    transportProtocol: m?.transportProtocol ?? '',
    applicationProtocols: [...(m?.applicationProtocols ?? [])],
    serverNames: translateServerNames(
      m?.serverNames ?? [],
      issues,
      `${path}.filter_chain_match.server_names`,
    ),
  };
  if (m?.destinationPort) match.destinationPort = wrapped(m.destinationPort, 0);
  if (!TRANSPORT_PROTOCOLS.has(match.transportProtocol)) {
    issues.add(
      'PROXY_ERR_UNSUPPORTED',
      `${path}.filter_chain_match.transport_protocol`,
      `"${match.transportProtocol}" is not detected by any listener filter here (only "tls" and "raw_buffer")`,
    );
  }
  if (fc.transportSocket)
    issues.add('PROXY_ERR_UNSUPPORTED', `${path}.transport_socket`, 'downstream TLS is not supported yet');
  const filters = fc.filters ?? [];
  let filter: NetworkFilterModel | undefined;
  filters.forEach((f, i) => {
    const fp = `${path}.filters[${i}]`;
    const type = anyTypeName(f.typedConfig);
    const factory = networkFilterFor(f.name ?? '', type);
    if (!factory) {
      issues.add(
        'PROXY_ERR_UNSUPPORTED',
        fp,
        `network filter "${f.name}" (${type || 'no typed_config'}) is not supported`,
      );
      return;
    }
    const config = factory.translate(f.typedConfig, issues, `${fp}.typed_config`);
    if (config !== undefined)
      filter = {
        kind: factory.kind,
        name: f.name || factory.names[0] || factory.kind,
        config,
      } as NetworkFilterModel;
    if (i !== filters.length - 1)
      issues.add('PROXY_ERR_INVALID_VALUE', fp, `${f.name} is terminal and must be the last filter`);
  });
  if (filters.length === 0)
    issues.add(
      'PROXY_ERR_MISSING_FIELD',
      `${path}.filters`,
      'a filter chain needs a terminal network filter',
    );
  return {
    name: fc.name ?? '',
    match,
    filter: filter ?? {
      kind: 'tcp_proxy',
      name: 'envoy.filters.network.tcp_proxy',
      config: { statPrefix: '', clusters: [], idleTimeoutMs: 0, maxConnectAttempts: 1, accessLogs: [] },
    },
  };
}
