// What the pilot knows about a connected proxy, read from the xDS Node it sends first: Istio's node id
// (`sidecar~IP~POD.NS~NS.svc.cluster.local`) and metadata (GENERATOR, NAMESPACE, LABELS, INSTANCE_IPS, NETWORK).
import type { google } from '@strait/xds';

export type ProxyType = 'sidecar' | 'grpc';

export interface ProxyInfo {
  readonly id: string;
  readonly type: ProxyType;
  readonly namespace: string;
  readonly ips: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** Dubbo/Strait application of the workload (metadata APP, else label `app`), for sourceApps matching. */
  readonly app: string;
  /** Node locality; sub_zone is Strait's cell. Empty strings when the node did not say. */
  readonly locality?: { readonly region: string; readonly zone: string; readonly subZone: string };
  /** Istio's network of the workload (metadata NETWORK); failoverPriority's `topology.istio.io/network`. */
  readonly network?: string;
}

type Struct = google.protobuf.Struct.$Properties;
type Value = google.protobuf.Value.$Properties;

function str(v: Value | null | undefined): string | undefined {
  return typeof v?.stringValue === 'string' ? v.stringValue : undefined;
}

function record(v: Value | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, inner] of Object.entries(v?.structValue?.fields ?? {})) {
    const s = str(inner);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

export interface NodeLike {
  readonly id?: string | null;
  readonly metadata?: Struct | null;
  readonly locality?: { region?: string | null; zone?: string | null; subZone?: string | null } | null;
}

/** Builds the proxy model from the Node of a first request. Pure; never throws. */
export function proxyFromNode(node: NodeLike | null | undefined): ProxyInfo {
  const id = node?.id ?? '';
  const fields = node?.metadata?.fields ?? {};
  const parts = id.split('~');
  const generator = str(fields['GENERATOR']);
  const type: ProxyType = generator === 'grpc' || parts[0] === 'grpc' ? 'grpc' : 'sidecar';
  const ipsText = str(fields['INSTANCE_IPS']);
  const ips = ipsText
    ? ipsText.split(',').filter((s) => s !== '')
    : parts.length >= 2 && parts[1]
      ? [parts[1]]
      : [];
  const podDotNs = parts[2] ?? '';
  const namespace =
    str(fields['NAMESPACE']) ??
    (podDotNs.includes('.') ? podDotNs.slice(podDotNs.indexOf('.') + 1) : 'default');
  const labels = record(fields['LABELS']);
  const network = str(fields['NETWORK']);
  return {
    id,
    type,
    namespace,
    ips,
    labels,
    app: str(fields['APP']) ?? labels['app'] ?? '',
    locality: {
      region: node?.locality?.region ?? '',
      zone: node?.locality?.zone ?? '',
      subZone: node?.locality?.subZone ?? '',
    },
    ...(network ? { network } : {}),
  };
}

const keys = new WeakMap<ProxyInfo, string>();

/**
 * What makes two proxies of one push context get the same config, apart from their IPs: type,
 * namespace, app, labels and locality. IPs matter only through the services the proxy serves (its
 * inbound side), which the generators add per context (`configClassKey`); leaving them out here is
 * what lets the replicas of a deployment share every generated resource. Memoized per proxy object.
 */
export function proxyClassKey(proxy: ProxyInfo): string {
  let k = keys.get(proxy);
  if (k === undefined) {
    const labels = Object.keys(proxy.labels)
      .sort()
      .map((l) => `${l}=${proxy.labels[l]}`)
      .join(',');
    const l = proxy.locality;
    k = `${proxy.type}|${proxy.namespace}|${proxy.app}|${labels}|${l?.region}/${l?.zone}/${l?.subZone}|${proxy.network ?? ''}`;
    keys.set(proxy, k);
  }
  return k;
}
