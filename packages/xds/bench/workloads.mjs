// The bench inputs, built with the package's own builders so they look like what pilot serves.
import { buildClusterLoadAssignment, buildEdsCluster } from '../dist/index.js';

/** One ClusterLoadAssignment with `total` endpoints over 20 localities in 2 priorities. */
export function bigClusterLoadAssignment(total) {
  const localities = 20;
  const per = Math.ceil(total / localities);
  return buildClusterLoadAssignment({
    clusterName: 'outbound|9080|v1|reviews.default.svc.cluster.local',
    localities: Array.from({ length: localities }, (_, l) => ({
      region: `region-${l % 4}`,
      zone: `zone-${l}`,
      priority: l < 10 ? 0 : 1,
      weight: 1 + (l % 3),
      endpoints: Array.from({ length: Math.min(per, total - l * per) }, (_, i) => ({
        address: `10.${l}.${(i >> 8) & 255}.${i & 255}`,
        port: 9080,
        weight: 1 + (i % 4),
        health: i % 50 === 0 ? 'DRAINING' : 'HEALTHY',
      })),
    })),
  });
}

/** `count` EDS clusters as a mesh of that many services gets them. */
export function manyClusters(count) {
  return Array.from({ length: count }, (_, i) =>
    buildEdsCluster({
      name: `outbound|8080|v${i % 3}|svc-${i}.ns-${i % 50}.svc.cluster.local`,
      connectTimeoutMs: 1000 + (i % 7),
      http2: i % 4 === 0,
      circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
      outlierDetection: { consecutive5xx: 5, intervalMs: 10_000 },
    }),
  );
}
