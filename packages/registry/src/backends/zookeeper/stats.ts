// ZooKeeper-specific counters and gauges, declared in one list (Envoy's stats.h habit), reported next
// to the registry-wide ones from ../../metrics.ts through one `metrics.snapshot()`.
import { Metrics } from '../../metrics.js';
import type { RegistryMetrics } from '../../types.js';

export const ZK_METRIC_NAMES = [
  /** Sessions the server expired under us (each is followed by re-registration and a resync). */
  'zk_session_expirations',
  /** Ephemeral nodes re-created after a session expiry. */
  'zk_reregistrations',
  /** Reconnect attempts reset by the watchdog after making no progress (a server stuck starting up). */
  'zk_connect_stalls',
  /** Level-based re-reads of a watched service directory (watch fired, reconnect, new session). */
  'zk_refreshes',
  /** Re-reads that failed and were retried. */
  'zk_refresh_errors',
  /** Child nodes that could not be decoded (not a Dubbo URL, bad JSON...) and were skipped. */
  'zk_decode_errors',
  /** Node data reads (one per child first seen; cached afterwards). */
  'zk_data_reads',
  /** Services with an active watch (gauge; bounded by maxWatchedServices). */
  'zk_watched_services',
  /** Watches refused because maxWatchedServices was reached. */
  'zk_watch_rejections',
  /** Decoded child nodes cached across all watched services (gauge). */
  'zk_cached_nodes',
  /** Interfaces in the watched service-name mapping index (gauge; application layout). */
  'zk_mapping_entries',
  /** Mapping passes that saw more interfaces than maxMappings and indexed only the first ones. */
  'zk_mapping_truncations',
  /** Registrations this client holds and will restore after a session expiry (gauge). */
  'zk_registrations_held',
] as const;

export type ZkMetricName = (typeof ZK_METRIC_NAMES)[number];

export class ZkMetrics implements RegistryMetrics {
  /** The shared registry metrics (watch channels report here). */
  readonly core = new Metrics();
  private readonly values = new Map<ZkMetricName, number>(ZK_METRIC_NAMES.map((n) => [n, 0]));

  inc(name: ZkMetricName, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  set(name: ZkMetricName, value: number): void {
    this.values.set(name, value);
  }

  get(name: ZkMetricName): number {
    return this.values.get(name) ?? 0;
  }

  snapshot(): Readonly<Record<string, number>> {
    return { ...this.core.snapshot(), ...Object.fromEntries(this.values) };
  }
}
