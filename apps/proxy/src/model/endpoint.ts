// ClusterLoadAssignment -> LoadAssignmentModel: hosts grouped by priority, then locality, Envoy's
// data model kept as is so EDS, registry-fed clusters and STATIC load_assignment share one shape.
import { envoy } from '@strait/xds';
import { IssueList, type Translation } from '../errors.js';
import { translateAddress, wrapped } from './common.js';

type ClusterLoadAssignment = envoy.config.endpoint.v3.ClusterLoadAssignment.$Properties;

export type HealthStatusName = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export interface HostModel {
  host: string;
  port: number;
  weight: number;
  health: HealthStatusName;
  hostname: string;
}

export interface LocalityModel {
  region: string;
  zone: string;
  subZone: string;
  /** 0 = unset (locality weighting then ignores the locality, as Envoy does). */
  weight: number;
  hosts: HostModel[];
}

export interface LoadAssignmentModel {
  clusterName: string;
  /** Index = priority; a missing priority is an empty list. */
  priorities: LocalityModel[][];
  /** Envoy's overprovisioning factor as a percentage (default 140). */
  overprovisioningFactor: number;
}

const HS = envoy.config.core.v3.HealthStatus;
const HEALTH_NAMES: Record<number, HealthStatusName> = {
  [HS.UNKNOWN]: 'UNKNOWN',
  [HS.HEALTHY]: 'HEALTHY',
  [HS.UNHEALTHY]: 'UNHEALTHY',
  [HS.DRAINING]: 'DRAINING',
  [HS.TIMEOUT]: 'TIMEOUT',
  [HS.DEGRADED]: 'DEGRADED',
};

export const DEFAULT_OVERPROVISIONING = 140;
const MAX_PRIORITIES = 128;

export function translateLoadAssignment(
  cla: ClusterLoadAssignment,
  resourceLabel?: string,
): Translation<LoadAssignmentModel> {
  const issues = new IssueList(resourceLabel ?? `ClusterLoadAssignment "${cla.clusterName ?? ''}"`);
  const value = translateLoadAssignmentInto(cla, issues, '');
  return issues.ok ? { ok: true, value } : { ok: false, issues: issues.items };
}

export function translateLoadAssignmentInto(
  cla: ClusterLoadAssignment,
  issues: IssueList,
  path: string,
): LoadAssignmentModel {
  const p = (s: string) => (path ? `${path}.${s}` : s);
  const priorities: LocalityModel[][] = [];
  (cla.endpoints ?? []).forEach((lle, i) => {
    const lp = p(`endpoints[${i}]`);
    const priority = Number(lle.priority ?? 0);
    if (priority >= MAX_PRIORITIES) {
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${lp}.priority`,
        `priority ${priority} is above ${MAX_PRIORITIES - 1}`,
      );
      return;
    }
    const hosts: HostModel[] = [];
    (lle.lbEndpoints ?? []).forEach((lb, j) => {
      const ep = `${lp}.lb_endpoints[${j}]`;
      const addr = translateAddress(lb.endpoint?.address, issues, `${ep}.endpoint.address`, false);
      if (!addr) return;
      const weight = wrapped(lb.loadBalancingWeight, 1);
      if (weight < 1)
        issues.add('PROXY_ERR_INVALID_VALUE', `${ep}.load_balancing_weight`, `${weight} is below 1`);
      hosts.push({
        host: addr.host,
        port: addr.port,
        weight,
        health: HEALTH_NAMES[Number(lb.healthStatus ?? 0)] ?? 'UNKNOWN',
        hostname: lb.endpoint?.hostname ?? '',
      });
    });
    while (priorities.length <= priority) priorities.push([]);
    priorities[priority]!.push({
      region: lle.locality?.region ?? '',
      zone: lle.locality?.zone ?? '',
      subZone: lle.locality?.subZone ?? '',
      weight: wrapped(lle.loadBalancingWeight, 0),
      hosts,
    });
  });
  const factor = wrapped(cla.policy?.overprovisioningFactor, DEFAULT_OVERPROVISIONING);
  if (factor < 100) {
    issues.add('PROXY_ERR_INVALID_VALUE', p('policy.overprovisioning_factor'), `${factor} is below 100`);
  }
  return { clusterName: cla.clusterName ?? '', priorities, overprovisioningFactor: factor };
}
