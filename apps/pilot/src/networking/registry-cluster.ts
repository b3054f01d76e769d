// Scale-out: a cluster whose endpoints the proxy reads from the registry itself, named the Envoy way
// (Cluster.cluster_type `strait.clusters.registry`, typed config in proto/strait/clusters/registry).
import { pack, RegistryClusterCodec } from '@strait/xds';
import type { Any } from './any.js';

export const REGISTRY_CLUSTER_TYPE = 'strait.clusters.registry';
export const REGISTRY_CLUSTER_TYPE_URL =
  'type.googleapis.com/strait.clusters.registry.v1alpha1.RegistryCluster';

export interface RegistryClusterConfig {
  readonly registry: string;
  readonly service: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly defaultPort: number;
}

export function packRegistryCluster(c: RegistryClusterConfig): Any {
  return pack(RegistryClusterCodec, {
    registry: c.registry,
    service: c.service,
    labels: { ...c.labels },
    defaultPort: c.defaultPort,
  });
}
