// Istio standard labels for one request, from the node's metadata (this workload) and the cluster name
// (Istio's `outbound|port|subset|fqdn` / `inbound|port||`). Peer metadata exchange is not implemented,
// so the peer's workload labels are "unknown", as Istio reports them without it.
import type { NodeModel } from '../../model/bootstrap.js';
import type { TrafficDirection } from '../../model/listener.js';
import type { IstioLabels } from '../../stats/istio.js';

function meta(node: NodeModel, key: string): string {
  const v = node.metadata[key];
  return typeof v === 'string' ? v : '';
}

function label(node: NodeModel, key: string): string {
  const labels = node.metadata['LABELS'];
  if (labels && typeof labels === 'object' && !Array.isArray(labels)) {
    const v = (labels as Record<string, unknown>)[key];
    if (typeof v === 'string') return v;
  }
  return '';
}

export function istioLabels(
  node: NodeModel,
  direction: TrafficDirection,
  cluster: string,
  authority: string,
  protocol: string,
  code: number,
  grpcStatus: string | undefined,
  flags: string,
): IstioLabels {
  const self = {
    workload: meta(node, 'WORKLOAD_NAME') || 'unknown',
    namespace: meta(node, 'NAMESPACE') || 'unknown',
    app: label(node, 'app') || 'unknown',
    version: label(node, 'version') || 'unknown',
    canonical: label(node, 'service.istio.io/canonical-name') || label(node, 'app') || 'unknown',
    revision: label(node, 'service.istio.io/canonical-revision') || label(node, 'version') || 'latest',
    cluster: meta(node, 'CLUSTER_ID') || 'unknown',
  };
  const parts = cluster.split('|');
  const fqdn = parts[0] === 'outbound' || parts[0] === 'inbound' ? (parts[3] ?? '') : '';
  const service = fqdn || authority.replace(/:\d+$/, '') || 'unknown';
  const [svcName, svcNs] = service.split('.');
  const inbound = direction === 'INBOUND';
  const unknownPeer = {
    workload: 'unknown',
    namespace: 'unknown',
    app: 'unknown',
    version: 'unknown',
    canonical: 'unknown',
    revision: 'latest',
    cluster: 'unknown',
  };
  const src = inbound ? unknownPeer : self;
  const dst = inbound ? self : unknownPeer;
  return {
    reporter: inbound ? 'destination' : 'source',
    source_workload: src.workload,
    source_workload_namespace: src.namespace,
    source_principal: 'unknown',
    source_app: src.app,
    source_version: src.version,
    source_canonical_service: src.canonical,
    source_canonical_revision: src.revision,
    source_cluster: src.cluster,
    destination_workload: dst.workload,
    destination_workload_namespace: inbound ? dst.namespace : (svcNs ?? 'unknown'),
    destination_principal: 'unknown',
    destination_app: dst.app,
    destination_version: dst.version,
    destination_service: service,
    destination_service_name: svcName || 'unknown',
    destination_service_namespace: inbound ? self.namespace : (svcNs ?? 'unknown'),
    destination_canonical_service: dst.canonical,
    destination_canonical_revision: dst.revision,
    destination_cluster: dst.cluster,
    request_protocol: protocol,
    response_code: String(code),
    grpc_response_status: grpcStatus ?? '',
    response_flags: flags || '-',
    connection_security_policy: inbound ? 'none' : 'unknown',
  };
}
