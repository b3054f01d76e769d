// The fault filter's decision for one request: delay and/or abort, honouring header-controlled faults
// (x-envoy-fault-delay-request, x-envoy-fault-abort-request, x-envoy-fault-abort-grpc-request), the
// header match list and max_active_faults. Pure apart from the random source.
import { type Headers, headerValue } from '../../protocols/types.js';
import type { FaultConfig } from './config.js';

export interface FaultDecision {
  delayMs?: number;
  abort?: { httpStatus: number; grpcStatus?: number };
}

export function decideFault(
  cfg: FaultConfig,
  headers: Headers,
  cluster: string,
  activeFaults: number,
  random: () => number,
): FaultDecision | 'overflow' | undefined {
  if (cfg.upstreamCluster && cfg.upstreamCluster !== cluster) return undefined;
  for (const h of cfg.headers) {
    const v = headerValue(headers, h.name);
    if (v === undefined || (h.exact !== undefined && v !== h.exact)) return undefined;
  }
  const d: FaultDecision = {};
  if (cfg.delay) {
    let ms: number | undefined = cfg.delay.ms;
    if (cfg.delay.headerControlled) {
      const hv = Number(headerValue(headers, 'x-envoy-fault-delay-request'));
      ms = Number.isFinite(hv) && hv > 0 ? hv : undefined;
    }
    if (ms !== undefined && random() < cfg.delay.probability) d.delayMs = ms;
  }
  if (cfg.abort) {
    let status = cfg.abort.httpStatus;
    let grpc = cfg.abort.grpcStatus;
    if (cfg.abort.headerControlled) {
      const hv = Number(headerValue(headers, 'x-envoy-fault-abort-request'));
      const gv = Number(headerValue(headers, 'x-envoy-fault-abort-grpc-request'));
      status = Number.isInteger(hv) && hv >= 200 && hv < 600 ? hv : undefined;
      grpc = Number.isInteger(gv) && gv >= 0 ? gv : undefined;
    }
    if ((status !== undefined || grpc !== undefined) && random() < cfg.abort.probability) {
      d.abort = grpc !== undefined ? { httpStatus: 200, grpcStatus: grpc } : { httpStatus: status ?? 503 };
    }
  }
  if (d.delayMs === undefined && !d.abort) return undefined;
  if (cfg.maxActiveFaults !== undefined && activeFaults >= cfg.maxActiveFaults) return 'overflow';
  return d;
}
