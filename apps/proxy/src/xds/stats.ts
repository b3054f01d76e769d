// Every xDS client stat, declared once, named as Envoy names them: `control_plane.*` for the ADS
// stream, `cluster_manager.cds.*` / `listener_manager.lds.*` / `rds.*` / `eds.*` per type, plus the
// warming and registry tables (each bounded; its size is a gauge so an operator sees it fill up).
import { counter, gauge } from '../stats/store.js';

export const CONTROL_PLANE_STATS = {
  connected_state: gauge('1 while the ADS stream to the management server is up'),
  stream_opened: counter('ADS streams opened'),
  stream_closed: counter('ADS streams that ended (error or server close)'),
  reconnect_backoff_ms: gauge('Delay before the next reconnect attempt'),
  pending_requests: gauge('Requests queued while the stream cannot take writes'),
  pending_requests_overflow: counter('Requests written at once because the deferral queue was full'),
  identifier_mismatch: counter('Responses for a type the client never asked for'),
} as const;

/** Per xDS type (Envoy: cluster_manager.cds., listener_manager.lds., rds., eds.). */
export const XDS_TYPE_STATS = {
  update_attempt: counter('Responses received'),
  update_success: counter('Responses applied and ACKed'),
  update_rejected: counter('Responses NACKed (at least one resource rejected)'),
  update_empty: counter('Responses that changed nothing'),
  init_fetch_timeout: counter('Initial fetches that timed out (warming gave up waiting)'),
  resources: gauge('Resources of this type held'),
  version: gauge('Numeric hash of the last applied version_info'),
} as const;

export const WARMING_STATS = {
  warming_clusters: gauge('Clusters waiting for their first endpoints (EDS or registry)'),
  warming_listeners: gauge('Listeners waiting for route configurations or clusters'),
  warming_routes: gauge('Route configurations waiting for clusters they name'),
  warming_timeouts: counter('Resources activated by the initial fetch timeout instead of their dependencies'),
  eds_cache_size: gauge('ClusterLoadAssignments held for clusters (bounded)'),
  eds_cache_evictions: counter('Assignments dropped because the cache was full'),
} as const;

export const REGISTRY_CLUSTER_STATS = {
  watched_services: gauge('Registry services watched (one watch per registry and service)'),
  watch_limit_reached: counter('Services not watched because the watch table was full'),
  snapshots: counter('Snapshot or resync events applied'),
  deltas: counter('Delta events applied'),
  endpoints: gauge('Registry instances held across watched services'),
  open_failures: counter('Registries that could not be opened'),
  unknown_registry: counter('Clusters naming a registry the proxy was not given'),
  stale_drops: counter(
    'Services whose endpoints were dropped by stale_endpoint_ttl while the watch was broken',
  ),
} as const;
