// envoy.filters.network.tcp_proxy: TcpProxy -> TcpProxyConfig.
import type { envoy } from '@strait/xds';
import { type AccessLogModel, translateAccessLogs } from '../../access-log/config.js';
import type { IssueList } from '../../errors.js';
import { checkWeightSum, durationMs, wrapped } from '../../model/common.js';

export const TCP_PROXY_NAME = 'envoy.filters.network.tcp_proxy';
export const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

export interface TcpProxyConfig {
  statPrefix: string;
  clusters: { name: string; weight: number }[];
  /** 0 = disabled; Envoy's default is 1 hour. */
  idleTimeoutMs: number;
  maxConnectAttempts: number;
  accessLogs: AccessLogModel[];
}

type TcpProxy = envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.$Properties;

export function translateTcpProxy(t: TcpProxy, issues: IssueList, path: string): TcpProxyConfig {
  const clusters: { name: string; weight: number }[] = [];
  if (t.cluster) clusters.push({ name: t.cluster, weight: 1 });
  else if (t.weightedClusters) {
    (t.weightedClusters.clusters ?? []).forEach((c, i) => {
      if (!c.name)
        issues.add(
          'PROXY_ERR_MISSING_FIELD',
          `${path}.weighted_clusters.clusters[${i}].name`,
          'a cluster name is required',
        );
      clusters.push({ name: c.name ?? '', weight: Number(c.weight ?? 0) });
    });
    checkWeightSum(
      clusters.map((c) => c.weight),
      issues,
      `${path}.weighted_clusters`,
    );
  } else issues.add('PROXY_ERR_MISSING_FIELD', path, 'one of cluster, weighted_clusters is required');
  if (!t.statPrefix) issues.add('PROXY_ERR_MISSING_FIELD', `${path}.stat_prefix`, 'stat_prefix is required');
  return {
    statPrefix: t.statPrefix ?? '',
    clusters,
    idleTimeoutMs: durationMs(t.idleTimeout, 3_600_000),
    maxConnectAttempts: Math.max(1, wrapped(t.maxConnectAttempts, 1)),
    accessLogs: translateAccessLogs(t.accessLog, issues, `${path}.access_log`),
  };
}
