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
  transportProtocol: string;
  /** Sniffed: "http/1.1", "h2c", "dubbo"; empty = any. */
  applicationProtocols: string[];
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
  const seen = new Map<string, number>();
  filterChains.forEach((fc, i) => {
    const key = JSON.stringify(fc.match);
    const prev = seen.get(key);
    if (prev !== undefined) {
      issues.add(
        'PROXY_ERR_DUPLICATE',
        `filter_chains[${i}].filter_chain_match`,
        `same match as filter_chains[${prev}]`,
      );
    }
    seen.set(key, i);
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
  // Sniff unless every chain is plain TCP without protocol criteria: server-first protocols (MySQL,
  // SMTP) must not wait for client bytes that never come.
  const all = [...filterChains, ...(model.defaultFilterChain ? [model.defaultFilterChain] : [])];
  model.sniff = all.some(
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
    serverNames: [...(m?.serverNames ?? [])],
  };
  if (m?.destinationPort) match.destinationPort = wrapped(m.destinationPort, 0);
  if (match.transportProtocol === 'tls' || match.serverNames.length > 0) {
    issues.add(
      'PROXY_ERR_UNSUPPORTED',
      `${path}.filter_chain_match`,
      'TLS matching (transport_protocol "tls", server_names) is not supported yet',
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
