// CDS resources: one builder per way a cluster finds its endpoints (EDS, static, original
// destination, Strait's registry cluster type).
import { pack } from '../codec/any.js';
import { HttpProtocolOptionsCodec, RegistryClusterCodec } from '../codec/codecs.js';
import type { Cluster, RegistryCluster } from '../codec/types.js';
import { XdsInvalidArgumentError } from '../errors.js';
import { envoy, strait } from '../gen/protos.js';
import { ExtensionName } from '../type-urls.js';
import { adsConfigSource, checkNonEmpty, durationMs } from './common.js';
import { buildClusterLoadAssignment, type EndpointSpec } from './endpoint.js';
import { WellKnownNames } from './names.js';

const DiscoveryType = envoy.config.cluster.v3.Cluster.DiscoveryType;
const LbPolicy = envoy.config.cluster.v3.Cluster.LbPolicy;

export type LoadBalancer = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV';

/** Options every cluster builder takes; defaults follow Istio's. */
export interface ClusterCommon {
  name: string;
  /** Connect timeout in ms (Istio's default 10 s). */
  connectTimeoutMs?: number;
  /** Defaults to LEAST_REQUEST, Istio's default since 1.14. */
  lbPolicy?: LoadBalancer;
  /** Speak HTTP/2 to the upstream (gRPC services, h2c). */
  http2?: boolean;
  circuitBreakers?: {
    maxConnections?: number;
    maxPendingRequests?: number;
    maxRequests?: number;
    maxRetries?: number;
  };
  outlierDetection?: {
    consecutive5xx?: number;
    intervalMs?: number;
    baseEjectionTimeMs?: number;
    maxEjectionPercent?: number;
  };
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function common(spec: ClusterCommon): Cluster {
  checkNonEmpty(spec.name, 'name');
  const cluster: Cluster = {
    name: spec.name,
    connectTimeout: durationMs(spec.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs'),
    lbPolicy: LbPolicy[spec.lbPolicy ?? 'LEAST_REQUEST'],
  };
  if (spec.http2) {
    // Envoy's current way to choose the upstream protocol: typed_extension_protocol_options.
    cluster.typedExtensionProtocolOptions = {
      [ExtensionName.HttpProtocolOptions]: pack(HttpProtocolOptionsCodec, {
        explicitHttpConfig: { http2ProtocolOptions: {} },
      }),
    };
  }
  if (spec.circuitBreakers) {
    const cb = spec.circuitBreakers;
    const threshold: envoy.config.cluster.v3.CircuitBreakers.Thresholds.$Properties = {};
    if (cb.maxConnections !== undefined) threshold.maxConnections = { value: cb.maxConnections };
    if (cb.maxPendingRequests !== undefined) threshold.maxPendingRequests = { value: cb.maxPendingRequests };
    if (cb.maxRequests !== undefined) threshold.maxRequests = { value: cb.maxRequests };
    if (cb.maxRetries !== undefined) threshold.maxRetries = { value: cb.maxRetries };
    cluster.circuitBreakers = { thresholds: [threshold] };
  }
  if (spec.outlierDetection) {
    const od = spec.outlierDetection;
    cluster.outlierDetection = {
      consecutive_5xx: { value: od.consecutive5xx ?? 5 },
      interval: durationMs(od.intervalMs ?? 10_000, 'outlierDetection.intervalMs'),
      baseEjectionTime: durationMs(od.baseEjectionTimeMs ?? 30_000, 'outlierDetection.baseEjectionTimeMs'),
      maxEjectionPercent: { value: od.maxEjectionPercent ?? 10 },
    };
  }
  return cluster;
}

/** An EDS cluster whose endpoints arrive over ADS under `serviceName` (default: the cluster name). */
export function buildEdsCluster(spec: ClusterCommon & { serviceName?: string }): Cluster {
  return {
    ...common(spec),
    type: DiscoveryType.EDS,
    edsClusterConfig: { edsConfig: adsConfigSource(), serviceName: spec.serviceName ?? spec.name },
  };
}

/** A STATIC cluster with its endpoints inline. */
export function buildStaticCluster(spec: ClusterCommon & { endpoints: EndpointSpec[] }): Cluster {
  if (spec.endpoints.length === 0)
    throw new XdsInvalidArgumentError('endpoints', 'a static cluster needs endpoints');
  return {
    ...common(spec),
    type: DiscoveryType.STATIC,
    loadAssignment: buildClusterLoadAssignment({
      clusterName: spec.name,
      localities: [{ endpoints: spec.endpoints }],
    }),
  };
}

/**
 * An ORIGINAL_DST cluster: connects wherever the client meant to go (SO_ORIGINAL_DST). Istio's
 * PassthroughCluster, the target of traffic to destinations the mesh does not know.
 */
export function buildOriginalDstCluster(
  spec: Partial<Omit<ClusterCommon, 'lbPolicy'>> & { upstreamBindAddress?: string } = {},
): Cluster {
  const cluster: Cluster = {
    ...common({ ...spec, name: spec.name ?? WellKnownNames.PassthroughCluster }),
    type: DiscoveryType.ORIGINAL_DST,
    lbPolicy: LbPolicy.CLUSTER_PROVIDED,
  };
  if (spec.upstreamBindAddress !== undefined) {
    // Inbound passthrough binds to 127.0.0.6 so the iptables rules do not capture it again.
    cluster.upstreamBindConfig = { sourceAddress: { address: spec.upstreamBindAddress, portValue: 0 } };
  }
  return cluster;
}

/** Istio's BlackHoleCluster: STATIC without endpoints, so every request to it fails fast. */
export function buildBlackHoleCluster(name: string = WellKnownNames.BlackHoleCluster): Cluster {
  checkNonEmpty(name, 'name');
  return { name, type: DiscoveryType.STATIC, connectTimeout: durationMs(DEFAULT_CONNECT_TIMEOUT_MS) };
}

export type CellMode = 'FLAT' | 'FAILOVER' | 'LOCAL_ONLY';

export interface RegistryClusterSpec extends ClusterCommon {
  registry: string;
  service: string;
  group?: string;
  version?: string;
  labels?: Record<string, string>;
  defaultPort?: number;
  cells?: {
    localRegion?: string;
    localZone?: string;
    localSubZone?: string;
    regionLabel?: string;
    zoneLabel?: string;
    subZoneLabel?: string;
    mode?: CellMode;
  };
  staleEndpointTtlMs?: number;
}

/**
 * A cluster of custom type `strait.clusters.registry` (scale-out architecture): the proxy watches the
 * registry itself; the typed config says which registry, service and cells.
 */
export function buildRegistryCluster(spec: RegistryClusterSpec): Cluster {
  checkNonEmpty(spec.registry, 'registry');
  checkNonEmpty(spec.service, 'service');
  const config: RegistryCluster = { registry: spec.registry, service: spec.service };
  if (spec.group) config.group = spec.group;
  if (spec.version) config.version = spec.version;
  if (spec.labels && Object.keys(spec.labels).length > 0) config.labels = { ...spec.labels };
  if (spec.defaultPort !== undefined) config.defaultPort = spec.defaultPort;
  if (spec.cells) {
    const { mode, ...rest } = spec.cells;
    config.cells = {
      ...rest,
      mode: strait.clusters.registry.v1alpha1.CellOptions.Mode[mode ?? 'FLAT'],
    };
  }
  if (spec.staleEndpointTtlMs !== undefined)
    config.staleEndpointTtl = durationMs(spec.staleEndpointTtlMs, 'staleEndpointTtlMs');
  return {
    ...common(spec),
    clusterType: { name: ExtensionName.RegistryCluster, typedConfig: pack(RegistryClusterCodec, config) },
  };
}
