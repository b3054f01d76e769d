// envoy.filters.http.fault: typed config (HTTPFault) -> FaultConfig. Used for the filter in the HCM
// chain and for per-route overrides (typed_per_filter_config["envoy.filters.http.fault"]).
import type { envoy } from '@strait/xds';
import { type AnyLike, unpackAny } from '../../config/any.js';
import type { IssueList } from '../../errors.js';
import { durationMs, fraction } from '../../model/common.js';

export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';
export const FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

export interface FaultConfig {
  delay?: { ms: number; probability: number; headerControlled: boolean };
  abort?: { httpStatus?: number; grpcStatus?: number; probability: number; headerControlled: boolean };
  /** Only requests whose headers all match are faulted (exact/present only, the common Istio shape). */
  headers: { name: string; exact?: string }[];
  upstreamCluster?: string;
  maxActiveFaults?: number;
}

type HTTPFault = envoy.extensions.filters.http.fault.v3.HTTPFault.$Properties;

export function translateFault(f: HTTPFault, issues: IssueList, path: string): FaultConfig {
  const out: FaultConfig = { headers: [] };
  if (f.delay) {
    const ms = durationMs(f.delay.fixedDelay);
    const headerControlled = f.delay.headerDelay != null;
    if (ms === undefined && !headerControlled) {
      issues.add(
        'PROXY_ERR_MISSING_FIELD',
        `${path}.delay.fixed_delay`,
        'fixed_delay or header_delay is required',
      );
    }
    out.delay = { ms: ms ?? 0, probability: fraction(f.delay.percentage, 0), headerControlled };
  }
  if (f.abort) {
    const a = f.abort;
    const headerControlled = a.headerAbort != null;
    const httpStatus = a.httpStatus ? Number(a.httpStatus) : undefined;
    const grpcStatus = a.grpcStatus != null ? Number(a.grpcStatus) : undefined;
    if (httpStatus === undefined && grpcStatus === undefined && !headerControlled) {
      issues.add(
        'PROXY_ERR_MISSING_FIELD',
        `${path}.abort`,
        'http_status, grpc_status or header_abort is required',
      );
    }
    if (httpStatus !== undefined && (httpStatus < 200 || httpStatus >= 600)) {
      issues.add('PROXY_ERR_INVALID_VALUE', `${path}.abort.http_status`, `${httpStatus} is outside 200..599`);
    }
    out.abort = { probability: fraction(a.percentage, 0), headerControlled };
    if (httpStatus !== undefined) out.abort.httpStatus = httpStatus;
    if (grpcStatus !== undefined) out.abort.grpcStatus = grpcStatus;
  }
  (f.headers ?? []).forEach((h, i) => {
    const name = (h.name ?? '').toLowerCase();
    if (!name)
      issues.add('PROXY_ERR_MISSING_FIELD', `${path}.headers[${i}].name`, 'a header name is required');
    const exact = h.stringMatch?.exact ?? h.exactMatch ?? undefined;
    out.headers.push(exact != null ? { name, exact } : { name });
  });
  if (f.upstreamCluster) out.upstreamCluster = f.upstreamCluster;
  if (f.maxActiveFaults) out.maxActiveFaults = Number(f.maxActiveFaults.value ?? 0);
  return out;
}

export function translateFaultAny(
  any: AnyLike | null | undefined,
  issues: IssueList,
  path: string,
): FaultConfig | undefined {
  const f = unpackAny<HTTPFault>(any, [FAULT_TYPE], issues, path);
  return f ? translateFault(f, issues, path) : undefined;
}
