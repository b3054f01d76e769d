// Outlier detection (consecutive 5xx and consecutive gateway failures). Local failures (connect
// failure, reset, timeout) count as both, as Envoy does when split_external_local_origin_errors is off.
// Ejection lasts base_ejection_time x times ejected (capped by max_ejection_time); max_ejection_percent
// bounds how much of the cluster can be out, always allowing the first ejection.
import type { OutlierDetectionModel } from '../model/cluster.js';
import type { Host } from './host.js';

export type Outcome = { status: number } | { local: 'connect-failure' | 'reset' | 'timeout' };

export interface OutlierHooks {
  hosts(): readonly Host[];
  /** Called after an ejection or un-ejection so the LB is rebuilt. */
  changed(): void;
  onEject(reason: 'consecutive_5xx' | 'consecutive_gateway_failure'): void;
  onOverflow(): void;
  random(): number;
}

export class OutlierDetector {
  constructor(
    private cfg: OutlierDetectionModel,
    private readonly hooks: OutlierHooks,
  ) {}

  update(cfg: OutlierDetectionModel): void {
    this.cfg = cfg;
  }

  report(host: Host, outcome: Outcome): void {
    const local = 'local' in outcome;
    const status = local ? 0 : outcome.status;
    const is5xx = local || status >= 500;
    const isGateway = local || status === 502 || status === 503 || status === 504;
    if (!is5xx) {
      host.consecutive5xx = 0;
      host.consecutiveGatewayFailure = 0;
      return;
    }
    host.consecutive5xx++;
    if (isGateway) host.consecutiveGatewayFailure++;
    if (host.ejected) return;
    if (
      isGateway &&
      host.consecutiveGatewayFailure >= this.cfg.consecutiveGatewayFailure &&
      this.hooks.random() * 100 < this.cfg.enforcingConsecutiveGatewayFailure
    ) {
      this.eject(host, 'consecutive_gateway_failure');
    } else if (
      host.consecutive5xx >= this.cfg.consecutive5xx &&
      this.hooks.random() * 100 < this.cfg.enforcingConsecutive5xx
    ) {
      this.eject(host, 'consecutive_5xx');
    }
  }

  private eject(host: Host, reason: 'consecutive_5xx' | 'consecutive_gateway_failure'): void {
    const all = this.hooks.hosts();
    const ejected = all.filter((h) => h.ejected).length;
    if (ejected > 0 && ((ejected + 1) / all.length) * 100 > this.cfg.maxEjectionPercent) {
      this.hooks.onOverflow();
      return;
    }
    host.ejected = true;
    host.ejectionCount++;
    host.consecutive5xx = 0;
    host.consecutiveGatewayFailure = 0;
    const ms = Math.min(
      this.cfg.baseEjectionTimeMs * host.ejectionCount,
      Math.max(this.cfg.baseEjectionTimeMs, this.cfg.maxEjectionTimeMs),
    );
    clearTimeout(host.ejectTimer);
    host.ejectTimer = setTimeout(() => {
      host.ejected = false;
      host.ejectTimer = undefined;
      this.hooks.changed();
    }, ms);
    host.ejectTimer.unref();
    this.hooks.onEject(reason);
    this.hooks.changed();
  }

  close(): void {
    for (const h of this.hooks.hosts()) {
      clearTimeout(h.ejectTimer);
      h.ejectTimer = undefined;
    }
  }
}
