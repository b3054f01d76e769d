// networking.istio.io/v1 ServiceEntry, field for field as Istio defines it.
import type { ConfigObjectBase, ISTIO_NETWORKING_V1, Port, WorkloadSelector } from './common.js';

export interface ServiceEntrySpec {
  hosts: string[];
  /** Virtual IPs or CIDRs of the service. */
  addresses?: string[];
  ports?: ServicePort[];
  location?: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  resolution?: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  endpoints?: WorkloadEntry[];
  workloadSelector?: WorkloadSelector;
  exportTo?: string[];
  subjectAltNames?: string[];
}

export type ServiceEntry = ConfigObjectBase<typeof ISTIO_NETWORKING_V1, 'ServiceEntry', ServiceEntrySpec>;

export type ServicePort = Port & { name: string };

/** Istio's WorkloadEntry spec, inlined as a ServiceEntry endpoint. */
export interface WorkloadEntry {
  /** IP, DNS name, or `unix:///path` socket. */
  address?: string;
  /** Port name (from `ports[].name`) to the endpoint's port number. */
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  /** "region/zone/subzone". */
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}
