// Bootstrap -> BootstrapModel: node identity, admin address, and the static listeners and clusters
// translated with the same functions the xDS client will use for LDS/CDS resources.
import type { envoy } from '@strait/xds';
import { type ConfigIssue, IssueList, type Translation } from '../errors.js';
import { type ClusterModel, translateClusterInto } from './cluster.js';
import { type SocketAddressModel, translateAddress } from './common.js';
import { type ListenerModel, translateListenerInto } from './listener.js';

type Bootstrap = envoy.config.bootstrap.v3.Bootstrap.$Properties;

export interface NodeModel {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
  locality: { region: string; zone: string; subZone: string };
}

export interface BootstrapModel {
  node: NodeModel;
  admin?: SocketAddressModel;
  listeners: ListenerModel[];
  clusters: ClusterModel[];
  /** dynamic_resources.ads_config names a cluster: the future xDS client's server. */
  adsCluster?: string;
}

interface ValueLike {
  nullValue?: number | null;
  numberValue?: number | null;
  stringValue?: string | null;
  boolValue?: boolean | null;
  structValue?: { fields?: Record<string, ValueLike> | null } | null;
  listValue?: { values?: ValueLike[] | null } | null;
}

/** google.protobuf.Struct (binary shape) -> plain JSON. */
export function structToJson(
  s: { fields?: Record<string, ValueLike> | null } | null | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = valueToJson(v);
  return out;
}

function valueToJson(v: ValueLike): unknown {
  if (v.structValue != null) return structToJson(v.structValue);
  if (v.listValue != null) return (v.listValue.values ?? []).map(valueToJson);
  if (v.stringValue != null) return v.stringValue;
  if (v.numberValue != null) return v.numberValue;
  if (v.boolValue != null) return v.boolValue;
  return null;
}

export function translateBootstrap(b: Bootstrap): Translation<BootstrapModel> {
  const issues: ConfigIssue[] = [];
  const top = new IssueList('Bootstrap');
  const node: NodeModel = {
    id: b.node?.id ?? '',
    cluster: b.node?.cluster ?? '',
    metadata: structToJson(b.node?.metadata),
    locality: {
      region: b.node?.locality?.region ?? '',
      zone: b.node?.locality?.zone ?? '',
      subZone: b.node?.locality?.subZone ?? '',
    },
  };
  const model: BootstrapModel = { node, listeners: [], clusters: [] };
  if (b.admin?.address) {
    const a = translateAddress(b.admin.address, top, 'admin.address', true);
    if (a) model.admin = a;
  }
  const sr = b.staticResources;
  const listenerNames = new Set<string>();
  (sr?.listeners ?? []).forEach((l, i) => {
    const il = new IssueList(`Bootstrap static_resources.listeners[${i}] (Listener "${l.name ?? ''}")`);
    const m = translateListenerInto(l, il);
    if (listenerNames.has(m.name))
      il.add('PROXY_ERR_DUPLICATE', 'name', `listener "${m.name}" is defined twice`);
    listenerNames.add(m.name);
    issues.push(...il.items);
    model.listeners.push(m);
  });
  const clusterNames = new Set<string>();
  (sr?.clusters ?? []).forEach((c, i) => {
    const ic = new IssueList(`Bootstrap static_resources.clusters[${i}] (Cluster "${c.name ?? ''}")`);
    const m = translateClusterInto(c, ic);
    if (clusterNames.has(m.name))
      ic.add('PROXY_ERR_DUPLICATE', 'name', `cluster "${m.name}" is defined twice`);
    clusterNames.add(m.name);
    issues.push(...ic.items);
    model.clusters.push(m);
  });
  const ads = b.dynamicResources?.adsConfig;
  const gs = ads?.grpcServices?.[0]?.envoyGrpc?.clusterName;
  if (gs) {
    model.adsCluster = gs;
    if (!clusterNames.has(gs)) {
      top.add(
        'PROXY_ERR_UNKNOWN_REFERENCE',
        'dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name',
        `cluster "${gs}" is not a static cluster`,
      );
    }
  }
  issues.push(...top.items);
  return issues.length === 0 ? { ok: true, value: model } : { ok: false, issues };
}
