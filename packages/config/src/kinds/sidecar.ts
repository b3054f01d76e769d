// networking.istio.io/v1 Sidecar, field for field as Istio defines it.
import type { ConfigObjectBase, ISTIO_NETWORKING_V1, Port, WorkloadSelector } from './common.js';
import type { ConnectionPoolSettings } from './destination-rule.js';

export interface SidecarSpec {
  workloadSelector?: WorkloadSelector;
  ingress?: IstioIngressListener[];
  egress?: IstioEgressListener[];
  inboundConnectionPool?: ConnectionPoolSettings;
  outboundTrafficPolicy?: OutboundTrafficPolicy;
}

export type Sidecar = ConfigObjectBase<typeof ISTIO_NETWORKING_V1, 'Sidecar', SidecarSpec>;

export type CaptureMode = 'DEFAULT' | 'IPTABLES' | 'NONE';

export interface IstioIngressListener {
  port: Port;
  bind?: string;
  captureMode?: CaptureMode;
  /** "127.0.0.1:PORT", "[::1]:PORT" or "unix:///path". */
  defaultEndpoint?: string;
  tls?: Record<string, unknown>;
  connectionPool?: ConnectionPoolSettings;
}

export interface IstioEgressListener {
  port?: Port;
  bind?: string;
  captureMode?: CaptureMode;
  /** "namespace/dnsName" entries; namespace may be "*", "." or "~". */
  hosts: string[];
}

export interface OutboundTrafficPolicy {
  mode?: 'REGISTRY_ONLY' | 'ALLOW_ANY';
  egressProxy?: { host: string; subset?: string; port?: { number: number } };
}
