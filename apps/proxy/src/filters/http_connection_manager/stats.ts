// HTTP connection manager stats, under http.<stat_prefix>. (Envoy's names).
import { counter, gauge, histogram } from '../../stats/store.js';

export const HCM_STATS = {
  downstream_cx_total: counter('Connections handled'),
  downstream_cx_active: gauge('Connections open'),
  downstream_cx_http1_total: counter('HTTP/1.1 connections'),
  downstream_cx_http2_total: counter('HTTP/2 connections'),
  downstream_cx_protocol_error: counter('Connections closed for malformed requests or frames'),
  downstream_cx_drain_close: counter('Connections closed by draining'),
  downstream_rq_total: counter('Requests'),
  downstream_rq_active: gauge('Requests in progress'),
  downstream_rq_http1_total: counter('HTTP/1.1 requests'),
  downstream_rq_http2_total: counter('HTTP/2 requests'),
  downstream_rq_1xx: counter('1xx responses'),
  downstream_rq_2xx: counter('2xx responses'),
  downstream_rq_3xx: counter('3xx responses'),
  downstream_rq_4xx: counter('4xx responses'),
  downstream_rq_5xx: counter('5xx responses'),
  downstream_rq_headers_too_large: counter('Requests refused with 431: headers above max_request_headers_kb'),
  downstream_rq_header_timeout: counter('Connections closed by request_headers_timeout (slowloris)'),
  downstream_rq_rx_reset: counter('Requests reset by the downstream'),
  downstream_rq_time: histogram('Request time in ms'),
  downstream_rq_internal_error: counter('Requests reset because of an internal error'),
  no_route: counter('Requests with no matching route'),
  no_cluster: counter('Requests whose route names an unknown cluster'),
  rq_direct_response: counter('Direct responses sent'),
  rq_redirect: counter('Redirects sent'),
} as const;
