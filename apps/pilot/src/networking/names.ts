// Istio's resource names, so tools and dashboards built for Istio read ours unchanged.

export type Direction = 'outbound' | 'inbound';

export interface ClusterKey {
  readonly direction: Direction;
  readonly port: number;
  readonly subset: string;
  readonly host: string;
}

/** `outbound|7070|v1|echo.default.svc.cluster.local` */
export function clusterName(direction: Direction, port: number, subset: string, host: string): string {
  return `${direction}|${port}|${subset}|${host}`;
}

// Names repeat across every proxy and push; a bounded memo saves re-splitting them.
const parsed = new Map<string, ClusterKey | undefined>();
const MAX_PARSED = 100_000;

export function parseClusterName(name: string): ClusterKey | undefined {
  if (parsed.has(name)) return parsed.get(name);
  const key = parseUncached(name);
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(name, key);
  return key;
}

/** The host of a cluster name without parsing the rest (hot path of incremental EDS). */
export function clusterHost(name: string): string {
  return name.slice(name.lastIndexOf('|') + 1);
}

function parseUncached(name: string): ClusterKey | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction, portText, subset, host] = parts as [string, string, string, string];
  const port = Number(portText);
  if ((direction !== 'outbound' && direction !== 'inbound') || !Number.isInteger(port)) return undefined;
  return { direction, port, subset, host };
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

export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughCluster';
export const VIRTUAL_OUTBOUND = 'virtualOutbound';
export const VIRTUAL_INBOUND = 'virtualInbound';
export const OUTBOUND_CAPTURE_PORT = 15001;
export const INBOUND_CAPTURE_PORT = 15006;
