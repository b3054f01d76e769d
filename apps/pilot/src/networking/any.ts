// Packing nested typed configs (HCM inside a Listener, fault config inside a Route...) into Any.
// Builders are pure, so packing is just encoding: no registry, no globals.
import { envoy, type google } from '@strait/xds';

export type Any = google.protobuf.Any.$Properties;

interface Encoder<T> {
  encode(message: T): { finish(): Uint8Array };
}

const PREFIX = 'type.googleapis.com/';

export function pack<T>(fullName: string, codec: Encoder<T>, message: T): Any {
  return { type_url: PREFIX + fullName, value: codec.encode(message).finish() };
}

const v3 = envoy.extensions;
export const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const TCP_PROXY = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
export const DUBBO_PROXY = 'envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy';
export const ROUTER = 'envoy.extensions.filters.http.router.v3.Router';
export const FAULT = 'envoy.extensions.filters.http.fault.v3.HTTPFault';
export const ORIGINAL_DST = 'envoy.extensions.filters.listener.original_dst.v3.OriginalDst';
export const HTTP_INSPECTOR = 'envoy.extensions.filters.listener.http_inspector.v3.HttpInspector';
export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export type HttpConnectionManager =
  envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.$Properties;
export type HttpFilter = envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.$Properties;

export const packHcm = (m: HttpConnectionManager): Any =>
  pack(HCM, v3.filters.network.http_connection_manager.v3.HttpConnectionManager, m);
export const packTcpProxy = (m: envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.$Properties): Any =>
  pack(TCP_PROXY, v3.filters.network.tcp_proxy.v3.TcpProxy, m);
export const packDubboProxy = (
  m: envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy.$Properties,
): Any => pack(DUBBO_PROXY, v3.filters.network.dubbo_proxy.v3.DubboProxy, m);
export const packFault = (m: envoy.extensions.filters.http.fault.v3.HTTPFault.$Properties): Any =>
  pack(FAULT, v3.filters.http.fault.v3.HTTPFault, m);

/** The router last, the fault filter before it: the order Envoy and grpc-js-xds require. */
export function httpFilters(): HttpFilter[] {
  return [
    { name: 'envoy.filters.http.fault', typedConfig: packFault({}) },
    { name: 'envoy.filters.http.router', typedConfig: pack(ROUTER, v3.filters.http.router.v3.Router, {}) },
  ];
}

export function listenerFilter(
  name: 'original_dst' | 'http_inspector',
): envoy.config.listener.v3.ListenerFilter.$Properties {
  return name === 'original_dst'
    ? {
        name: 'envoy.filters.listener.original_dst',
        typedConfig: pack(ORIGINAL_DST, v3.filters.listener.original_dst.v3.OriginalDst, {}),
      }
    : {
        name: 'envoy.filters.listener.http_inspector',
        typedConfig: pack(HTTP_INSPECTOR, v3.filters.listener.http_inspector.v3.HttpInspector, {}),
      };
}
