import type { ClusterLoadAssignment } from '../../src/index.js';

/** A CLA with `localities` localities of `perLocality` endpoints each. */
export function sampleCla(localities = 2, perLocality = 5): ClusterLoadAssignment {
  return {
    clusterName: 'outbound|9080|v1|reviews.default.svc.cluster.local',
    endpoints: Array.from({ length: localities }, (_, l) => ({
      locality: { region: 'us-east1', zone: `us-east1-${'abc'[l % 3]}` },
      priority: l,
      loadBalancingWeight: { value: 10 + l },
      lbEndpoints: Array.from({ length: perLocality }, (_, i) => ({
        endpoint: {
          address: { socketAddress: { address: `10.0.${l}.${i + 1}`, portValue: 9080 + i } },
        },
        healthStatus: 1,
        loadBalancingWeight: { value: 1 },
      })),
    })),
  };
}
