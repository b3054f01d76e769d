// Scale-out: a cluster whose endpoints the proxy reads from the registry itself, named the Envoy way
// (Cluster.cluster_type `strait.clusters.registry`, typed config in proto/strait/clusters/registry).
// Encoded with protobufjs' Writer because @strait/xds's index exports only the envoy and google
// namespaces; the field numbers are those of registry_cluster.proto.
import protobuf from 'protobufjs/minimal.js';
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
  const w = protobuf.Writer.create();
  if (c.registry) w.uint32((1 << 3) | 2).string(c.registry);
  if (c.service) w.uint32((2 << 3) | 2).string(c.service);
  for (const k of Object.keys(c.labels).sort()) {
    w.uint32((5 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string(k)
      .uint32((2 << 3) | 2)
      .string(c.labels[k]!)
      .ldelim();
  }
  if (c.defaultPort) w.uint32((6 << 3) | 0).uint32(c.defaultPort);
  return { type_url: REGISTRY_CLUSTER_TYPE_URL, value: w.finish() };
}
