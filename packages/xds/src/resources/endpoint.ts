// EDS resources: ClusterLoadAssignment with Envoy's locality / priority / weight model, which Strait
// keeps in every architecture (scale-out proxies build the same shape from registry data).
import type { ClusterLoadAssignment, LbEndpoint, LocalityLbEndpoints } from '../codec/types.js';
import { XdsInvalidArgumentError } from '../errors.js';
import { envoy } from '../gen/protos.js';
import { checkNonEmpty, checkWeight, socketAddress } from './common.js';

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export interface EndpointSpec {
  address: string;
  port: number;
  /** Relative weight inside the locality (1..); omitted means Envoy's default 1. */
  weight?: number;
  /** Defaults to HEALTHY: the registry only lists live instances. */
  health?: HealthStatus;
  /** Endpoint labels, put under metadata `istio` / `strait` for subset matching. */
  labels?: Record<string, string>;
  hostname?: string;
}

export interface LocalitySpec {
  region?: string;
  zone?: string;
  subZone?: string;
  /** 0 is most preferred; Envoy fails over to higher numbers as health drops. */
  priority?: number;
  /** Locality weight (locality-weighted load balancing); omitted means equal. */
  weight?: number;
  endpoints: EndpointSpec[];
}

export interface ClusterLoadAssignmentSpec {
  clusterName: string;
  localities: LocalitySpec[];
  /** Envoy's overprovisioning factor in percent (default 140). */
  overprovisioningFactor?: number;
}

const Health = envoy.config.core.v3.HealthStatus;

function lbEndpoint(spec: EndpointSpec, path: string): LbEndpoint {
  checkNonEmpty(spec.address, `${path}.address`);
  const endpoint: LbEndpoint = {
    endpoint: { address: socketAddress(spec.address, spec.port, `${path}.port`) },
    healthStatus: Health[spec.health ?? 'HEALTHY'],
  };
  if (spec.hostname) endpoint.endpoint!.hostname = spec.hostname;
  if (spec.weight !== undefined) {
    checkWeight(spec.weight, `${path}.weight`, 1);
    endpoint.loadBalancingWeight = { value: spec.weight };
  }
  if (spec.labels && Object.keys(spec.labels).length > 0) {
    // Subset load balancing matches on envoy.lb metadata, as Istio's subsets do.
    endpoint.metadata = {
      filterMetadata: {
        'envoy.lb': {
          fields: Object.fromEntries(Object.entries(spec.labels).map(([k, v]) => [k, { stringValue: v }])),
        },
      },
    };
  }
  return endpoint;
}

export function buildClusterLoadAssignment(spec: ClusterLoadAssignmentSpec): ClusterLoadAssignment {
  checkNonEmpty(spec.clusterName, 'clusterName');
  const endpoints: LocalityLbEndpoints[] = spec.localities.map((loc, i) => {
    const path = `localities[${i}]`;
    const out: LocalityLbEndpoints = {
      lbEndpoints: loc.endpoints.map((e, j) => lbEndpoint(e, `${path}.endpoints[${j}]`)),
    };
    if (loc.region || loc.zone || loc.subZone) {
      out.locality = {};
      if (loc.region) out.locality.region = loc.region;
      if (loc.zone) out.locality.zone = loc.zone;
      if (loc.subZone) out.locality.subZone = loc.subZone;
    }
    if (loc.weight !== undefined) {
      checkWeight(loc.weight, `${path}.weight`, 1);
      out.loadBalancingWeight = { value: loc.weight };
    }
    if (loc.priority !== undefined) {
      if (!Number.isInteger(loc.priority) || loc.priority < 0 || loc.priority > 127) {
        throw new XdsInvalidArgumentError(
          `${path}.priority`,
          `must be an integer in 0..127, got ${loc.priority}`,
        );
      }
      if (loc.priority > 0) out.priority = loc.priority;
    }
    return out;
  });
  // Envoy rejects priorities with gaps (0, 2 without 1).
  const priorities = new Set(endpoints.map((e) => e.priority ?? 0));
  for (let p = 0; p < priorities.size; p++) {
    if (!priorities.has(p)) {
      throw new XdsInvalidArgumentError(
        'localities',
        `priorities must be contiguous from 0; ${p} is missing`,
      );
    }
  }
  const cla: ClusterLoadAssignment = { clusterName: spec.clusterName, endpoints };
  if (spec.overprovisioningFactor !== undefined) {
    cla.policy = { overprovisioningFactor: { value: spec.overprovisioningFactor } };
  }
  return cla;
}
