// Listener and listener manager stats (Envoy's names).
import { counter, gauge } from '../stats/store.js';

export const LISTENER_STATS = {
  downstream_cx_total: counter('Connections accepted'),
  downstream_cx_active: gauge('Connections open'),
  downstream_cx_destroy: counter('Connections closed'),
  downstream_pre_cx_active: gauge('Connections still being sniffed'),
  downstream_pre_cx_timeout: counter(
    'Connections whose first bytes did not arrive within listener_filters_timeout',
  ),
  downstream_cx_overflow: counter('Connections closed because the listener was at its connection limit'),
  no_filter_chain_match: counter('Connections no filter chain matched'),
  downstream_cx_not_redirected: counter(
    'Connections to a capture listener (use_original_dst or the original_dst listener filter) that iptables did not redirect: closed',
  ),
  downstream_cx_handed_off: counter(
    'Captured connections handed to the listener bound to their original destination',
  ),
  downstream_cx_drain_close: counter('Connections closed at the end of a drain'),
} as const;

export const LISTENER_MANAGER_STATS = {
  listener_added: counter('Listeners added'),
  listener_modified: counter('Listeners updated in place'),
  listener_removed: counter('Listeners removed'),
  listener_create_failure: counter('Listeners that failed to bind'),
  total_listeners_active: gauge('Listeners accepting'),
  total_listeners_draining: gauge('Listeners draining'),
} as const;

/** Envoy's tls_inspector stats (rooted at `tls_inspector.`), plus Strait's client_hello_invalid. */
export const TLS_INSPECTOR_STATS = {
  tls_found: counter('Connections whose first bytes were a TLS ClientHello'),
  tls_not_found: counter('Connections whose first bytes were not TLS (transport protocol raw_buffer)'),
  sni_found: counter('ClientHellos with a server name'),
  sni_not_found: counter('ClientHellos without a server name'),
  alpn_found: counter('ClientHellos with ALPN protocols'),
  alpn_not_found: counter('ClientHellos without ALPN protocols'),
  client_hello_too_large: counter('Connections closed because the ClientHello exceeded the size limit'),
  client_hello_invalid: counter('Connections closed because their ClientHello was malformed'),
  connection_closed: counter('Connections the client closed before its ClientHello was complete'),
} as const;
