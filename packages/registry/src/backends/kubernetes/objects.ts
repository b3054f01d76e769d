// The few fields of Kubernetes objects this backend reads. Typed lists (client-node deserializes them)
// and raw watch events (plain JSON) use the same field names, so one set of narrow types serves both;
// timestamps can be a Date (typed) or a string (raw), which `toMillis` accepts either way.

import type { KubernetesObject } from '@kubernetes/client-node';

/** apiVersion, kind and metadata (client-node's V1ObjectMeta). */
export type KubeObject = KubernetesObject;

export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
  targetPort?: number | string;
}

export interface Service extends KubeObject {
  spec?: { ports?: ServicePort[] };
}

export interface EndpointConditions {
  ready?: boolean | null;
  serving?: boolean | null;
  terminating?: boolean | null;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[] | null;
}

export interface Pod extends KubeObject {}

export interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: Date | string };
}

export function toMillis(t: Date | string | undefined): number {
  if (t === undefined) return Number.NaN;
  return t instanceof Date ? t.getTime() : Date.parse(t);
}

/** Labels and annotations Strait writes. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'registry.mesh.strait.io';
/** On slices a registry client wrote: the Lease whose expiry ends them. */
export const LEASE_LABEL = 'mesh.strait.io/registry-lease';
/** On slices a registry client wrote: the registered Instance (JSON) beyond what a slice can hold. */
export const INSTANCE_ANNOTATION = 'mesh.strait.io/instance';
