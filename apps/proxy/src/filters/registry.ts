// Network filter registry: each filter module exports setup(), which registers a factory here (its
// names, typed_config types, translate and create); src/filters/index.ts calls them all. Listener
// translation and listeners only talk to this registry, so a new filter (dubbo_proxy) is one module plus
// one setup() call. Configs are typed through NetworkFilterConfigs, which filter modules extend with
// declaration merging.
import type net from 'node:net';
import type { AnyLike } from '../config/any.js';
import type { ProxyContext } from '../context.js';
import type { IssueList } from '../errors.js';
import type { Sniffed } from '../listener/sniff.js';
import type { TrafficDirection } from '../model/listener.js';
import type { HcmConfig } from './http_connection_manager/config.js';
import type { TcpProxyConfig } from './tcp_proxy/config.js';

/** Filter kind -> its translated config. Extend with `declare module` from a new filter's config.ts. */
export interface NetworkFilterConfigs {
  http_connection_manager: HcmConfig;
  tcp_proxy: TcpProxyConfig;
}
export type NetworkFilterKind = keyof NetworkFilterConfigs;

export interface ListenerInfo {
  listenerName: string;
  direction: TrafficDirection;
  defaultHeadersTimeoutMs: number;
}

/** A live terminal network filter for one filter chain. */
export interface NetworkFilterInstance {
  /** Takes a connection; `peeked` are bytes already read while sniffing, `sniffed` what they looked like. */
  accept(socket: net.Socket, peeked: Buffer, sniffed: Sniffed): void;
  /** Stop new work on existing connections politely (Connection: close, GOAWAY, Dubbo read-only). */
  drain(): void;
  closeAll(): void;
  readonly connectionCount: number;
}

export interface NetworkFilterFactory<K extends NetworkFilterKind = NetworkFilterKind> {
  kind: K;
  /** Filter names (Envoy's `envoy.filters.network.*`) and typed_config message names it answers to. */
  names: readonly string[];
  typeNames: readonly string[];
  /** Server-first protocols must not wait for client bytes: chains with only such filters skip sniffing. */
  serverFirst: boolean;
  translate(
    typed: AnyLike | null | undefined,
    issues: IssueList,
    path: string,
  ): NetworkFilterConfigs[K] | undefined;
  create(config: NetworkFilterConfigs[K], ctx: ProxyContext, listener: ListenerInfo): NetworkFilterInstance;
}

const factories = new Map<string, NetworkFilterFactory>();

export function registerNetworkFilter<K extends NetworkFilterKind>(f: NetworkFilterFactory<K>): void {
  factories.set(`kind:${f.kind}`, f as unknown as NetworkFilterFactory);
  for (const n of f.names) factories.set(`name:${n}`, f as unknown as NetworkFilterFactory);
  for (const t of f.typeNames) factories.set(`type:${t}`, f as unknown as NetworkFilterFactory);
}

/** The factory for a filter entry: by typed_config type first (Envoy's rule), then by name. */
export function networkFilterFor(name: string, typeName: string): NetworkFilterFactory | undefined {
  return (typeName ? factories.get(`type:${typeName}`) : undefined) ?? factories.get(`name:${name}`);
}

export function networkFilterByKind(kind: string): NetworkFilterFactory | undefined {
  return factories.get(`kind:${kind}`);
}
