// Pure mapping from registry instances to Envoy's EDS model (ClusterLoadAssignment), so a scale-out
// proxy feeds the same data structure into its load balancer that a pilot would send over EDS.
import type { envoy, google } from '@strait/xds';
import type { PrioritizedInstance } from './cell.js';
import type { Health, Instance } from './types.js';
import { LABEL_CELL, LABEL_REGION, LABEL_ZONE } from './types.js';

type ClusterLoadAssignment = envoy.config.endpoint.v3.IClusterLoadAssignment;
type LocalityLbEndpoints = envoy.config.endpoint.v3.ILocalityLbEndpoints;
type LbEndpoint = envoy.config.endpoint.v3.ILbEndpoint;

/** Envoy `envoy.config.core.v3.HealthStatus` numbers (kept literal: the generated enum is a runtime value). */
export const ENVOY_HEALTH: Readonly<Record<Health, envoy.config.core.v3.HealthStatus>> = {
  healthy: 1,
  unhealthy: 2,
  draining: 3,
};

/** Filter-metadata namespace carrying labels, as Envoy's subset load balancer reads them. */
export const LB_METADATA_NAMESPACE = 'envoy.lb';

export interface EdsOptions {
  /** Drop unhealthy instances instead of sending them with UNHEALTHY status. Default false. */
  readonly omitUnhealthy?: boolean;
}

const isPrioritized = (x: Instance | PrioritizedInstance): x is PrioritizedInstance => 'instance' in x;

function labelStruct(labels: Readonly<Record<string, string>>): google.protobuf.IStruct {
  const fields: Record<string, google.protobuf.IValue> = {};
  for (const k of Object.keys(labels).sort()) fields[k] = { stringValue: labels[k]! };
  return { fields };
}

function lbEndpoint(i: Instance): LbEndpoint {
  return {
    endpoint: {
      address: { socketAddress: { address: i.address, portValue: i.port } },
      hostname: i.id,
    },
    healthStatus: ENVOY_HEALTH[i.health],
    loadBalancingWeight: { value: i.weight },
    metadata: { filterMetadata: { [LB_METADATA_NAMESPACE]: labelStruct(i.labels) } },
  };
}

/**
 * Groups instances into localities (region/zone/sub-zone = cell) per priority, sorted so the output is
 * deterministic (golden-testable, and equal inputs encode to equal bytes). Plain instances are priority 0;
 * pass cellClosure() output to get failover levels. A locality's weight is the sum of its endpoints'.
 */
export function toClusterLoadAssignment(
  clusterName: string,
  endpoints: readonly (Instance | PrioritizedInstance)[],
  options: EdsOptions = {},
): ClusterLoadAssignment {
  const groups = new Map<
    string,
    { priority: number; region: string; zone: string; cell: string; items: Instance[] }
  >();
  for (const e of endpoints) {
    const instance = isPrioritized(e) ? e.instance : e;
    const priority = isPrioritized(e) ? e.priority : 0;
    if (options.omitUnhealthy && instance.health === 'unhealthy') continue;
    const region = instance.labels[LABEL_REGION] ?? '';
    const zone = instance.labels[LABEL_ZONE] ?? '';
    const cell = instance.labels[LABEL_CELL] ?? '';
    const k = JSON.stringify([priority, region, zone, cell]);
    let g = groups.get(k);
    if (!g) {
      g = { priority, region, zone, cell, items: [] };
      groups.set(k, g);
    }
    g.items.push(instance);
  }
  const localities: LocalityLbEndpoints[] = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => {
      const items = g.items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return {
        locality: { region: g.region, zone: g.zone, subZone: g.cell },
        lbEndpoints: items.map(lbEndpoint),
        loadBalancingWeight: { value: items.reduce((n, i) => n + i.weight, 0) },
        priority: g.priority,
      };
    });
  // Priorities are sorted numerically (string sort of the JSON key would put 10 before 2).
  localities.sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
  return { clusterName, endpoints: localities };
}
