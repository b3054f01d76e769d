// CDS: outbound clusters per (service, port, subset) named the Istio way, DestinationRule traffic
// policy applied; for sidecars also Passthrough/BlackHole/inbound clusters. Pure.
import type { TrafficPolicy } from '@strait/config';
import { envoy, HttpProtocolOptionsCodec, pack } from '@strait/xds';
import type { ProxyInfo } from '../model/proxy.js';
import type { PushContext } from '../model/push-context.js';
import type { Service, ServicePort } from '../model/service.js';
import { upstreamTls } from './cluster-tls.js';
import { duration, toDuration } from './duration.js';
import { inboundServices } from './inbound.js';
import { resolveLocalityLb } from './locality.js';
import {
  BLACKHOLE_CLUSTER,
  clusterName,
  INBOUND_PASSTHROUGH_CLUSTER,
  inboundClusterName,
  PASSTHROUGH_CLUSTER,
  parseClusterName,
} from './names.js';
import { packRegistryCluster, REGISTRY_CLUSTER_TYPE } from './registry-cluster.js';
import { servicesInScope } from './scope.js';

export type Cluster = envoy.config.cluster.v3.Cluster.$Properties;
const C = envoy.config.cluster.v3.Cluster;
const ADS_SOURCE = { ads: {}, resourceApiVersion: envoy.config.core.v3.ApiVersion.V3 };
const CONNECT_TIMEOUT = toDuration(10_000);

function lbPolicy(policy: TrafficPolicy | undefined): envoy.config.cluster.v3.Cluster.LbPolicy {
  // Istio: consistentHash selects Maglev when `maglev` is set, else a ring hash.
  const hash = policy?.loadBalancer?.consistentHash;
  if (hash) return hash.maglev ? C.LbPolicy.MAGLEV : C.LbPolicy.RING_HASH;
  switch (policy?.loadBalancer?.simple) {
    case 'LEAST_CONN':
    case 'LEAST_REQUEST':
      return C.LbPolicy.LEAST_REQUEST;
    case 'RANDOM':
      return C.LbPolicy.RANDOM;
    default:
      return C.LbPolicy.ROUND_ROBIN;
  }
}

function portPolicy(policy: TrafficPolicy | undefined, port: number): TrafficPolicy | undefined {
  if (!policy) return undefined;
  const level = policy.portLevelSettings?.find((p) => p.port?.number === port);
  return level ? { ...policy, ...level } : policy;
}

/** Merge of the rule's policy, its port-level settings and the subset's policy (most specific wins). */
export function effectivePolicy(
  ctx: PushContext,
  host: string,
  port: number,
  subset: string,
): TrafficPolicy | undefined {
  const dr = ctx.destinationRules.get(host);
  if (!dr) return undefined;
  const base = portPolicy(dr.spec.trafficPolicy, port);
  const sub = subset ? dr.spec.subsets?.find((s) => s.name === subset) : undefined;
  const subPolicy = portPolicy(sub?.trafficPolicy, port);
  return subPolicy ? { ...base, ...subPolicy } : base;
}

function applyPolicy(cluster: Cluster, policy: TrafficPolicy | undefined, forGrpc: boolean): void {
  cluster.lbPolicy = lbPolicy(policy);
  // grpc-js-xds takes ring hash (with header hash policies) but no other non-default policy.
  if (forGrpc && cluster.lbPolicy !== C.LbPolicy.ROUND_ROBIN && cluster.lbPolicy !== C.LbPolicy.RING_HASH)
    cluster.lbPolicy = C.LbPolicy.ROUND_ROBIN;
  const hash = policy?.loadBalancer?.consistentHash;
  const minimumRingSize = hash?.ringHash?.minimumRingSize ?? hash?.minimumRingSize;
  if (cluster.lbPolicy === C.LbPolicy.RING_HASH && minimumRingSize)
    cluster.ringHashLbConfig = { minimumRingSize: { value: minimumRingSize } };
  if (cluster.lbPolicy === C.LbPolicy.MAGLEV && hash?.maglev?.tableSize)
    cluster.maglevLbConfig = { tableSize: { value: hash.maglev.tableSize } };
  // Envoy honours LocalityLbEndpoints weights (distribute) only with locality weighted LB; Istio
  // turns it on wherever a localityLbSetting is in force. Without distribute the weights are the sum
  // of the endpoints' weights, so it changes nothing there.
  if (policy?.loadBalancer?.localityLbSetting && resolveLocalityLb(policy))
    cluster.commonLbConfig = { localityWeightedLbConfig: {} };
  const pool = policy?.connectionPool;
  const connect = duration(pool?.tcp?.connectTimeout);
  if (connect && !forGrpc) cluster.connectTimeout = connect;
  if (pool && !forGrpc) {
    const t: envoy.config.cluster.v3.CircuitBreakers.Thresholds.$Properties = {};
    if (pool.tcp?.maxConnections) t.maxConnections = { value: pool.tcp.maxConnections };
    if (pool.http?.http1MaxPendingRequests)
      t.maxPendingRequests = { value: pool.http.http1MaxPendingRequests };
    if (pool.http?.http2MaxRequests) t.maxRequests = { value: pool.http.http2MaxRequests };
    if (pool.http?.maxRetries) t.maxRetries = { value: pool.http.maxRetries };
    if (Object.keys(t).length > 0) cluster.circuitBreakers = { thresholds: [t] };
    if (pool.http?.maxRequestsPerConnection)
      cluster.maxRequestsPerConnection = { value: pool.http.maxRequestsPerConnection };
  }
  const od = policy?.outlierDetection;
  if (od) {
    const out: envoy.config.cluster.v3.OutlierDetection.$Properties = {};
    if (od.consecutive5xxErrors !== undefined) out.consecutive_5xx = { value: od.consecutive5xxErrors };
    if (od.consecutiveGatewayErrors !== undefined)
      out.consecutiveGatewayFailure = { value: od.consecutiveGatewayErrors };
    const interval = duration(od.interval);
    if (interval) out.interval = interval;
    const base = duration(od.baseEjectionTime);
    if (base) out.baseEjectionTime = base;
    if (od.maxEjectionPercent !== undefined) out.maxEjectionPercent = { value: od.maxEjectionPercent };
    cluster.outlierDetection = out;
  }
}

function subsetLabels(ctx: PushContext, host: string, subset: string): Record<string, string> | undefined {
  if (!subset) return {};
  const s = ctx.destinationRules.get(host)?.spec.subsets?.find((x) => x.name === subset);
  return s ? (s.labels ?? {}) : undefined;
}

/** One outbound cluster, or undefined when service/port/subset does not exist. */
export function buildOutboundCluster(ctx: PushContext, name: string, forGrpc: boolean): Cluster | undefined {
  const key = parseClusterName(name);
  if (key?.direction !== 'outbound') return undefined;
  const service = ctx.services.get(key.host);
  const port = service?.ports.find((p) => p.number === key.port);
  if (!service || !port) return undefined;
  const labels = subsetLabels(ctx, key.host, key.subset ?? '');
  if (!labels) return undefined;
  const cluster: Cluster = { name, connectTimeout: CONNECT_TIMEOUT };
  if (service.resolution === 'DNS' && !forGrpc) {
    cluster.type = C.DiscoveryType.STRICT_DNS;
    cluster.loadAssignment = {
      clusterName: name,
      endpoints: [
        {
          lbEndpoints: [
            {
              endpoint: {
                address: { socketAddress: { address: key.host, portValue: port.targetPort ?? port.number } },
              },
            },
          ],
        },
      ],
    };
  } else if (ctx.architecture === 'scale-out' && !forGrpc) {
    cluster.clusterType = {
      name: REGISTRY_CLUSTER_TYPE,
      typedConfig: packRegistryCluster({
        registry: ctx.registryName,
        service: key.host,
        labels,
        defaultPort: port.targetPort ?? port.number,
      }),
    };
  } else {
    cluster.type = C.DiscoveryType.EDS;
    cluster.edsClusterConfig = { edsConfig: ADS_SOURCE, serviceName: name };
  }
  const policy = effectivePolicy(ctx, key.host, key.port, key.subset ?? '');
  applyPolicy(cluster, policy, forGrpc);
  const http2 = port.protocol === 'HTTP2' || port.protocol === 'GRPC';
  // Proxyless gRPC clients get no transport socket: grpc-js-xds does not originate TLS from CDS (a
  // documented gap, like Istio's proxyless TLS which needs its xDS credentials).
  const tls = forGrpc ? undefined : upstreamTls(policy?.tls, http2, service.subjectAltNames);
  if (tls) cluster.transportSocket = tls.transportSocket;
  const http = http2 || port.protocol === 'HTTP';
  // auto_sni / auto_san_validation are HTTP protocol options: they only mean something for HTTP
  // clusters (a TCP upstream without `sni` gets no SNI, as in Envoy).
  const autoTls = tls && http && (tls.autoSni || tls.autoSanValidation);
  if (!forGrpc && (http2 || autoTls)) {
    cluster.typedExtensionProtocolOptions = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': pack(HttpProtocolOptionsCodec, {
        explicitHttpConfig: http2 ? { http2ProtocolOptions: {} } : { httpProtocolOptions: {} },
        ...(autoTls
          ? {
              upstreamHttpProtocolOptions: {
                autoSni: tls.autoSni,
                autoSanValidation: tls.autoSanValidation,
              },
            }
          : {}),
      }),
    };
  }
  return cluster;
}

/** Every cluster name a service yields: the default subset and one per DestinationRule subset. */
export function clusterNamesFor(ctx: PushContext, service: Service, port: ServicePort): string[] {
  const names = [clusterName({ direction: 'outbound', port: port.number, host: service.hostname })];
  for (const s of ctx.destinationRules.get(service.hostname)?.spec.subsets ?? []) {
    names.push(
      clusterName({ direction: 'outbound', port: port.number, subset: s.name, host: service.hostname }),
    );
  }
  return names;
}

function staticCluster(name: string, address: string, port: number): Cluster {
  return {
    name,
    type: C.DiscoveryType.STATIC,
    connectTimeout: CONNECT_TIMEOUT,
    loadAssignment: {
      clusterName: name,
      endpoints: [
        { lbEndpoints: [{ endpoint: { address: { socketAddress: { address, portValue: port } } } }] },
      ],
    },
  };
}

/** Sidecar CDS (wildcard): everything in scope plus the well-known clusters. */
export function buildSidecarClusters(ctx: PushContext, proxy: ProxyInfo): Cluster[] {
  const out: Cluster[] = [
    { name: BLACKHOLE_CLUSTER, type: C.DiscoveryType.STATIC, connectTimeout: CONNECT_TIMEOUT },
    {
      name: PASSTHROUGH_CLUSTER,
      type: C.DiscoveryType.ORIGINAL_DST,
      lbPolicy: C.LbPolicy.CLUSTER_PROVIDED,
      connectTimeout: CONNECT_TIMEOUT,
    },
    {
      name: INBOUND_PASSTHROUGH_CLUSTER,
      type: C.DiscoveryType.ORIGINAL_DST,
      lbPolicy: C.LbPolicy.CLUSTER_PROVIDED,
      connectTimeout: CONNECT_TIMEOUT,
      upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 0 } },
    },
  ];
  for (const service of servicesInScope(ctx, proxy)) {
    for (const port of service.ports) {
      for (const name of clusterNamesFor(ctx, service, port)) {
        const c = buildOutboundCluster(ctx, name, false);
        if (c) out.push(c);
      }
    }
  }
  for (const { targetPort } of inboundServices(ctx, proxy)) {
    const name = inboundClusterName(targetPort);
    if (!out.some((c) => c.name === name)) out.push(staticCluster(name, '127.0.0.1', targetPort));
  }
  return out;
}
