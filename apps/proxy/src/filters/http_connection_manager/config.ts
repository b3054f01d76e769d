// envoy.filters.network.http_connection_manager: HttpConnectionManager -> HcmConfig. Routes are either
// inline (translated here) or named for RDS; the runtime looks routes up by name on every request so a
// route update never touches connections.
import { envoy } from '@strait/xds';
import { type AccessLogModel, translateAccessLogs } from '../../access-log/config.js';
import { anyTypeName, unpackAny } from '../../config/any.js';
import type { IssueList } from '../../errors.js';
import { durationMs, wrapped } from '../../model/common.js';
import { type RouteTableModel, translateRouteConfigurationInto } from '../../model/route.js';
import { CORS_FILTER_NAME, CORS_TYPE } from '../cors/config.js';
import { FAULT_FILTER_NAME, FAULT_TYPE, type FaultConfig, translateFault } from '../fault/config.js';
import { ROUTER_FILTER_NAME, ROUTER_TYPE } from '../router/config.js';

export const HCM_NAME = 'envoy.filters.network.http_connection_manager';
export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export type CodecKind = 'auto' | 'http1' | 'http2';

export type HttpFilterModel =
  | { name: string; kind: 'fault'; config: FaultConfig }
  /** Its policies live on routes and virtual hosts; the filter's presence turns them on. */
  | { name: string; kind: 'cors' }
  | { name: string; kind: 'router' };

export interface HcmConfig {
  statPrefix: string;
  codec: CodecKind;
  routes: { kind: 'inline'; table: RouteTableModel } | { kind: 'rds'; name: string };
  httpFilters: HttpFilterModel[];
  accessLogs: AccessLogModel[];
  maxRequestHeadersBytes: number;
  maxHeadersCount: number;
  /** 0 = disabled (Envoy's default); Strait's bootstrap default applies a guard in the listener. */
  requestHeadersTimeoutMs: number;
  streamIdleTimeoutMs: number;
  idleTimeoutMs: number;
  drainTimeoutMs: number;
  maxConcurrentStreams: number;
  useRemoteAddress: boolean;
  generateRequestId: boolean;
  serverName: string;
  /** Enabled upgrade_configs types, lower-case ("websocket"). */
  upgradeTypes: string[];
}

type Hcm = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.$Properties;
const Codec = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.CodecType;

export function translateHcm(h: Hcm, issues: IssueList, path: string): HcmConfig {
  let codec: CodecKind = 'auto';
  if (h.codecType === Codec.HTTP1) codec = 'http1';
  else if (h.codecType === Codec.HTTP2) codec = 'http2';
  else if (h.codecType === Codec.HTTP3)
    issues.add('PROXY_ERR_UNSUPPORTED', `${path}.codec_type`, 'HTTP/3 is not supported');
  if (!h.statPrefix) issues.add('PROXY_ERR_MISSING_FIELD', `${path}.stat_prefix`, 'stat_prefix is required');

  let routes: HcmConfig['routes'];
  if (h.routeConfig) {
    routes = {
      kind: 'inline',
      table: translateRouteConfigurationInto(h.routeConfig, issues, `${path}.route_config`),
    };
  } else if (h.rds) {
    if (!h.rds.routeConfigName)
      issues.add(
        'PROXY_ERR_MISSING_FIELD',
        `${path}.rds.route_config_name`,
        'a route config name is required',
      );
    routes = { kind: 'rds', name: h.rds.routeConfigName ?? '' };
  } else {
    issues.add(
      h.scopedRoutes ? 'PROXY_ERR_UNSUPPORTED' : 'PROXY_ERR_MISSING_FIELD',
      path,
      'one of route_config, rds is required',
    );
    routes = { kind: 'rds', name: '' };
  }

  const httpFilters: HttpFilterModel[] = [];
  const filters = h.httpFilters ?? [];
  filters.forEach((f, i) => {
    const fp = `${path}.http_filters[${i}]`;
    if (f.disabled) return;
    const type = anyTypeName(f.typedConfig);
    if (f.name === ROUTER_FILTER_NAME || type === ROUTER_TYPE) {
      if (i !== filters.length - 1)
        issues.add('PROXY_ERR_INVALID_VALUE', fp, 'the router must be the last HTTP filter');
      httpFilters.push({ name: f.name ?? ROUTER_FILTER_NAME, kind: 'router' });
    } else if (f.name === FAULT_FILTER_NAME || type === FAULT_TYPE) {
      const cfg = unpackAny<envoy.extensions.filters.http.fault.v3.HTTPFault>(
        f.typedConfig,
        [FAULT_TYPE],
        issues,
        `${fp}.typed_config`,
      );
      if (cfg)
        httpFilters.push({
          name: f.name ?? FAULT_FILTER_NAME,
          kind: 'fault',
          config: translateFault(cfg, issues, `${fp}.typed_config`),
        });
    } else if (f.name === CORS_FILTER_NAME || type === CORS_TYPE) {
      // Cors has no fields; unpacking still checks the type URL and the bytes.
      const cfg = unpackAny<envoy.extensions.filters.http.cors.v3.Cors>(
        f.typedConfig,
        [CORS_TYPE],
        issues,
        `${fp}.typed_config`,
      );
      if (cfg) httpFilters.push({ name: f.name ?? CORS_FILTER_NAME, kind: 'cors' });
    } else if (!f.isOptional) {
      issues.add(
        'PROXY_ERR_UNSUPPORTED',
        fp,
        `HTTP filter "${f.name}" (${type || 'no typed_config'}) is not supported`,
      );
    }
  });
  if (httpFilters.at(-1)?.kind !== 'router') {
    issues.add(
      'PROXY_ERR_MISSING_FIELD',
      `${path}.http_filters`,
      `the last HTTP filter must be ${ROUTER_FILTER_NAME}`,
    );
  }

  const maxKb = wrapped(h.maxRequestHeadersKb, 60);
  if (maxKb < 1 || maxKb > 8192)
    issues.add('PROXY_ERR_INVALID_VALUE', `${path}.max_request_headers_kb`, `${maxKb} is outside 1..8192`);
  return {
    statPrefix: h.statPrefix ?? '',
    codec,
    routes,
    httpFilters,
    accessLogs: translateAccessLogs(h.accessLog, issues, `${path}.access_log`),
    maxRequestHeadersBytes: maxKb * 1024,
    maxHeadersCount: wrapped(h.commonHttpProtocolOptions?.maxHeadersCount, 100),
    requestHeadersTimeoutMs: durationMs(h.requestHeadersTimeout, 0),
    streamIdleTimeoutMs: durationMs(h.streamIdleTimeout, 300_000),
    idleTimeoutMs: durationMs(h.commonHttpProtocolOptions?.idleTimeout, 3_600_000),
    drainTimeoutMs: durationMs(h.drainTimeout, 5000),
    maxConcurrentStreams: wrapped(h.http2ProtocolOptions?.maxConcurrentStreams, 2147483647),
    useRemoteAddress: wrapped(h.useRemoteAddress, false),
    generateRequestId: wrapped(h.generateRequestId, true),
    serverName: h.serverName || 'envoy',
    upgradeTypes: (h.upgradeConfigs ?? [])
      .filter((u) => u.enabled?.value !== false && u.upgradeType)
      .map((u) => (u.upgradeType ?? '').toLowerCase()),
  };
}
