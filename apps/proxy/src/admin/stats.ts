// Server-wide stats (Envoy's server.* names).
import { counter, gauge } from '../stats/store.js';

export const SERVER_STATS = {
  live: gauge('1 while the server is live (not draining)'),
  state: gauge('0 live, 1 draining, 2 pre-initializing'),
  uptime: gauge('Seconds since start'),
  memory_allocated: gauge('Heap used in bytes'),
  total_connections: gauge('Downstream connections open on all listeners'),
  concurrency: gauge('Worker count (always 1: one event loop)'),
  envoy_bug_failures: counter('Internal errors caught instead of crashing'),
  // Bounded tables: what they refused (mirrored from their own counters on each refresh).
  stats_scope_overflow: gauge('Stats scopes refused because the store was full'),
  istio_series_overflow: gauge('Istio metric series refused because the cap was reached'),
  access_log_dropped: gauge('Access log lines dropped (writer backed up or failing)'),
} as const;
