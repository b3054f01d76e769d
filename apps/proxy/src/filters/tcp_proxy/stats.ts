// TCP proxy stats, under tcp.<stat_prefix>. (Envoy's names).
import { counter, gauge } from '../../stats/store.js';

export const TCP_PROXY_STATS = {
  downstream_cx_total: counter('Connections handled'),
  downstream_cx_no_route: counter('Connections with no cluster or no healthy host'),
  downstream_cx_rx_bytes_total: counter('Bytes from the downstream'),
  downstream_cx_tx_bytes_total: counter('Bytes to the downstream'),
  downstream_flow_control_paused_reading_total: counter('Times downstream reading paused for backpressure'),
  upstream_flush_total: counter('Connections that flushed upstream data after downstream closed'),
  idle_timeout: counter('Connections closed by idle_timeout'),
  downstream_cx_active: gauge('Connections open'),
} as const;
