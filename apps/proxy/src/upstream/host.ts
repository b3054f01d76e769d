// One upstream endpoint with its live state: active requests (least-request LB), outlier detection
// counters and ejection, and per-host stats shown by /clusters.
import type { HealthStatusName } from '../model/endpoint.js';

export interface LocalityKey {
  region: string;
  zone: string;
  subZone: string;
}

export class Host {
  activeRequests = 0;
  rqTotal = 0;
  rqError = 0;
  rqSuccess = 0;
  cxActive = 0;
  // Outlier detection state
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  ejected = false;
  ejectionCount = 0;
  ejectTimer: NodeJS.Timeout | undefined;
  // Active health check state
  hcSeen = false;
  hcFailed = false;
  hcEverHealthy = false;
  hcSuccesses = 0;
  hcFailures = 0;

  constructor(
    readonly address: string,
    readonly port: number,
    public weight: number,
    public health: HealthStatusName,
    public priority: number,
    public locality: LocalityKey,
    public hostname = '',
  ) {}

  get key(): string {
    return `${this.address}:${this.port}`;
  }

  /** Healthy from EDS/active checks (UNKNOWN counts as healthy, as in Envoy) and not ejected. */
  get available(): boolean {
    return (
      !this.ejected &&
      !this.hcFailed &&
      (this.health === 'HEALTHY' || this.health === 'UNKNOWN' || this.health === 'DEGRADED')
    );
  }

  /** Envoy's /clusters health_flags. */
  healthFlags(): string {
    const flags: string[] = [];
    if (this.hcFailed) flags.push('/failed_active_hc');
    if (this.ejected) flags.push('/failed_outlier_check');
    if (this.health === 'UNHEALTHY' || this.health === 'TIMEOUT') flags.push('/failed_eds_health');
    if (this.health === 'DRAINING') flags.push('/pending_dynamic_removal');
    if (this.health === 'DEGRADED') flags.push('/degraded_eds_health');
    return flags.length ? flags.join('') : 'healthy';
  }
}
