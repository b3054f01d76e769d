// Router-owned stats (the per-cluster upstream_rq_* live in upstream/stats.ts as in Envoy).
import { counter } from '../../stats/store.js';

export const ROUTER_STATS = {
  rq_total: counter('Requests the router forwarded'),
  rq_reset_after_downstream_response_started: counter('Upstream failures after the response had started'),
  rq_mirror_dropped: counter('Mirrors skipped because the body exceeded the buffer limit'),
} as const;
