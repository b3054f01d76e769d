// Counters and gauges every registry exposes, declared in one list (as Envoy's stats.h does) so names
// stay stable and documented; a registry's `metrics.snapshot()` returns them all, zeros included.
import type { RegistryMetrics } from './types.js';

export const METRIC_NAMES = [
  /** Watches currently open (gauge). */
  'watchers_active',
  /** Events handed to consumers (snapshot + delta + resync). */
  'watch_events_delivered',
  /** Deltas merged into an already-pending delta instead of queued (burst coalescing). */
  'watch_deltas_coalesced',
  /** Times a watcher fell behind its bounded buffer and had its pending deltas replaced by a resync. */
  'watch_overflow_resyncs',
  /** Resync events delivered for any reason (overflow, compaction, session loss, reconnect). */
  'watch_resyncs',
  /** Register/deregister writes accepted. */
  'writes',
  /** Instances removed because their lease or session expired. */
  'lease_expirations',
  /** Reconnects of a networked client to its server. */
  'reconnects',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

export class Metrics implements RegistryMetrics {
  private readonly values = new Map<MetricName, number>(METRIC_NAMES.map((n) => [n, 0]));

  inc(name: MetricName, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  dec(name: MetricName, by = 1): void {
    this.inc(name, -by);
  }

  get(name: MetricName): number {
    return this.values.get(name) ?? 0;
  }

  snapshot(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.values);
  }
}
