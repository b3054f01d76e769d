// Istio's resource names, so tools and dashboards built for Istio read ours unchanged. The naming
// itself lives in @strait/xds (one implementation for pilot, ctl and tests); this module keeps the
// pilot's import path and adds what only the pilot needs: a memo for its hot parse path, and the
// gRPC dial-target names.
import { type ClusterKey, parseClusterName as parseXdsClusterName, WellKnownNames } from '@strait/xds';

export {
  type ClusterKey,
  clusterHost,
  clusterName,
  INBOUND_CAPTURE_PORT,
  inboundClusterName,
  OUTBOUND_CAPTURE_PORT,
} from '@strait/xds';

// Names repeat across every proxy and push; a bounded memo saves re-splitting them. The keys handed
// out are shared, so they are frozen.
const parsed = new Map<string, Readonly<ClusterKey> | undefined>();
const MAX_PARSED = 100_000;

/** `outbound|7070|v1|host` -> its parts; undefined for names not in Istio's form. Memoized. */
export function parseClusterName(name: string): Readonly<ClusterKey> | undefined {
  if (parsed.has(name)) return parsed.get(name);
  const raw = parseXdsClusterName(name);
  const key = raw && Object.freeze(raw);
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(name, key);
  return key;
}

/** Proxyless gRPC: the listener (and its route configuration) is named after the dial target. */
export function apiListenerName(host: string, port: number): string {
  return `${host}:${port}`;
}

export function parseHostPort(name: string): { host: string; port: number } | undefined {
  const i = name.lastIndexOf(':');
  if (i <= 0) return undefined;
  const port = Number(name.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: name.slice(0, i), port };
}

export const PASSTHROUGH_CLUSTER = WellKnownNames.PassthroughCluster;
export const BLACKHOLE_CLUSTER = WellKnownNames.BlackHoleCluster;
export const INBOUND_PASSTHROUGH_CLUSTER = WellKnownNames.InboundPassthroughCluster;
export const VIRTUAL_OUTBOUND = WellKnownNames.VirtualOutbound;
export const VIRTUAL_INBOUND = WellKnownNames.VirtualInbound;
