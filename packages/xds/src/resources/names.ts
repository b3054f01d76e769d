// Istio's resource naming, so dashboards, istioctl habits and Envoy stats read the same:
// clusters `outbound|7070|v1|reviews.default.svc.cluster.local`, listeners `0.0.0.0_9080`.
import { XdsInvalidArgumentError } from '../errors.js';
import { checkNonEmpty, checkPort } from './common.js';

export type TrafficDirection = 'inbound' | 'outbound';

export interface ClusterKey {
  direction: TrafficDirection;
  port: number;
  /** DestinationRule subset name; empty for the whole service. */
  subset?: string;
  /** Fully qualified host, `reviews.default.svc.cluster.local`. */
  host: string;
}

/** `outbound|9080|v1|reviews.default.svc.cluster.local`. */
export function clusterName(key: ClusterKey): string {
  checkPort(key.port, 'port');
  checkNonEmpty(key.host, 'host');
  if (key.host.includes('|') || (key.subset ?? '').includes('|')) {
    throw new XdsInvalidArgumentError('host', 'host and subset must not contain "|"');
  }
  return `${key.direction}|${key.port}|${key.subset ?? ''}|${key.host}`;
}

/** The inverse of clusterName; undefined for names not in Istio's form (PassthroughCluster...). */
export function parseClusterName(name: string): ClusterKey | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction, port, subset, host] = parts as [string, string, string, string];
  if (direction !== 'inbound' && direction !== 'outbound') return undefined;
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return undefined;
  if (host === '' && direction === 'outbound') return undefined;
  return subset === '' ? { direction, port: n, host } : { direction, port: n, subset, host };
}

/**
 * The host of a cluster name without parsing the rest: the part after the last `|`. A hot path of
 * incremental EDS (every changed host against every subscribed name), so it allocates nothing else.
 */
export function clusterHost(name: string): string {
  return name.slice(name.lastIndexOf('|') + 1);
}

/** `inbound|9080||`: Istio's inbound clusters carry no host (the local workload is the target). */
export function inboundClusterName(port: number): string {
  checkPort(port, 'port');
  return `inbound|${port}||`;
}

/** `0.0.0.0_9080`: Istio names a listener after its address and port. */
export function listenerName(address: string, port: number): string {
  checkPort(port, 'port');
  return `${address}_${port}`;
}

/** Well-known names of the catch-all pieces, as Istio spells them. */
export const WellKnownNames = {
  VirtualOutbound: 'virtualOutbound',
  VirtualInbound: 'virtualInbound',
  PassthroughCluster: 'PassthroughCluster',
  InboundPassthroughCluster: 'InboundPassthroughCluster',
  BlackHoleCluster: 'BlackHoleCluster',
} as const;
