// Dubbo proxy stats, under dubbo.<stat_prefix>. with Envoy's dubbo_proxy names (its stats.h list and the
// router's), plus Strait's own for what Envoy's filter does not do (READONLY drain, multiplexing bounds).
import { counter, gauge, histogram } from '../../stats/store.js';

export const DUBBO_PROXY_STATS = {
  // Envoy's dubbo_proxy
  request: counter('Requests (calls and events) decoded from downstreams'),
  request_twoway: counter('Two-way calls'),
  request_oneway: counter('One-way calls'),
  request_event: counter('Event frames from downstreams (heartbeats, READONLY)'),
  request_invalid_type: counter('Downstream frames that are responses, not requests (dropped)'),
  request_decoding_error: counter(
    'Downstream frames that broke framing or did not decode; connection closed',
  ),
  request_decoding_success: counter('Downstream requests decoded'),
  request_active: gauge('Calls in flight'),
  request_time_ms: histogram('Time from request decoded to response written, in ms'),
  response: counter('Responses written to downstreams'),
  response_success: counter('Responses with status OK and a value'),
  response_error: counter('Responses with a non-OK status'),
  response_exception: counter('Responses carrying a thrown exception'),
  response_business_exception: counter('Responses carrying a thrown exception (Envoy alias)'),
  response_decoding_error: counter('Upstream frames that did not decode'),
  response_decoding_success: counter('Upstream responses decoded'),
  local_response_success: counter('Local replies with status OK (heartbeats)'),
  local_response_error: counter('Local error replies (no route, timeout, no upstream)'),
  local_response_business_exception: counter('Local replies carrying an exception'),
  cx_destroy_local_with_active_rq: counter('Downstream connections closed by the proxy with calls in flight'),
  cx_destroy_remote_with_active_rq: counter('Downstream connections closed by the peer with calls in flight'),
  // Envoy's dubbo router
  route_missing: counter('Calls no route matched'),
  unknown_cluster: counter('Calls routed to a cluster that does not exist'),
  no_healthy_upstream: counter('Calls whose cluster had no healthy host'),
  upstream_rq_timeout: counter('Calls answered SERVER_TIMEOUT by the proxy'),
  upstream_rq_reset: counter('Calls whose upstream connection failed or closed before the answer'),
  upstream_rq_overflow: counter('Calls refused by a circuit breaker or the in-flight bound'),
  upstream_rq_retry: counter('Calls re-sent to another host after a connect failure (nothing was sent)'),
  // Strait
  downstream_cx_total: counter('Downstream connections handled'),
  downstream_cx_active: gauge('Downstream connections open'),
  downstream_cx_readonly_sent: counter('READONLY events sent to downstreams on drain'),
  downstream_flow_control_paused_reading_total: counter(
    'Times reading a downstream paused because its answers were not read (4 MiB queued)',
  ),
  downstream_cx_drain_close: counter('Downstream connections closed idle after READONLY'),
  heartbeat_downstream: counter('Downstream heartbeats answered by the proxy'),
  heartbeat_upstream: counter('Upstream heartbeats answered by the proxy'),
  upstream_readonly: counter('Upstream connections that received READONLY from their provider'),
  params_decoded: counter('Requests whose arguments were decoded for params_match'),
  params_decoding_error: counter('Requests whose arguments did not decode (params_match fails)'),
} as const;

/** Per-cluster route stats, under dubbo.<stat_prefix>.route.<cluster>. */
export const DUBBO_ROUTE_STATS = {
  request: counter('Calls routed to this cluster'),
  response_success: counter('OK responses from this cluster'),
  response_error: counter('Non-OK or local error responses for calls to this cluster'),
  response_exception: counter('Exceptions thrown by this cluster'),
  upstream_rq_time: histogram('Upstream round trip in ms'),
} as const;
