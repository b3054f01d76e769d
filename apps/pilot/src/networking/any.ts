// Packing nested typed configs (HCM inside a Listener, fault config inside a Route...) into Any.
// Builders are pure, so packing is just encoding through the @strait/xds codecs: no registry, no globals.
import {
  CorsCodec,
  CorsPolicyCodec,
  DubboProxyCodec,
  type envoy,
  type google,
  HttpConnectionManagerCodec,
  HttpFaultCodec,
  HttpInspectorCodec,
  OriginalDstCodec,
  pack,
  RouterCodec,
  TcpProxyCodec,
  TlsInspectorCodec,
} from '@strait/xds';

export type Any = google.protobuf.Any.$Properties;

export type HttpConnectionManager =
  envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.$Properties;
export type HttpFilter = envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.$Properties;

export const packHcm = (m: HttpConnectionManager): Any => pack(HttpConnectionManagerCodec, m);
export const packTcpProxy = (m: envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.$Properties): Any =>
  pack(TcpProxyCodec, m);
export const packDubboProxy = (
  m: envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy.$Properties,
): Any => pack(DubboProxyCodec, m);
export const packFault = (m: envoy.extensions.filters.http.fault.v3.HTTPFault.$Properties): Any =>
  pack(HttpFaultCodec, m);

export const packCorsPolicy = (m: envoy.config.route.v3.CorsPolicy.$Properties): Any =>
  pack(CorsPolicyCodec, m);

/**
 * The router last, the fault filter before it: the order Envoy and grpc-js-xds require. Sidecars also
 * get Istio's CORS filter first (it answers preflights before a fault could abort them); proxyless gRPC
 * does not, since grpc-js-xds NACKs HTTP filters it does not know.
 */
export function httpFilters(opts: { cors: boolean }): HttpFilter[] {
  return [
    ...(opts.cors ? [{ name: 'envoy.filters.http.cors', typedConfig: pack(CorsCodec, {}) }] : []),
    { name: 'envoy.filters.http.fault', typedConfig: packFault({}) },
    { name: 'envoy.filters.http.router', typedConfig: pack(RouterCodec, {}) },
  ];
}

export function listenerFilter(
  name: 'original_dst' | 'http_inspector' | 'tls_inspector',
): envoy.config.listener.v3.ListenerFilter.$Properties {
  switch (name) {
    case 'original_dst':
      return { name: 'envoy.filters.listener.original_dst', typedConfig: pack(OriginalDstCodec, {}) };
    case 'http_inspector':
      return { name: 'envoy.filters.listener.http_inspector', typedConfig: pack(HttpInspectorCodec, {}) };
    case 'tls_inspector':
      return { name: 'envoy.filters.listener.tls_inspector', typedConfig: pack(TlsInspectorCodec, {}) };
  }
}
