// Active health checking (HTTP GET or TCP connect) per cluster. Hosts start as failed until their first
// successful check, as Envoy's do; unhealthy_threshold consecutive failures mark a host failed and
// healthy_threshold consecutive successes bring it back. A state change rebuilds the cluster's LB.
import http from 'node:http';
import net from 'node:net';
import type { HealthCheckModel } from '../model/cluster.js';
import type { Host } from './host.js';

export interface HealthCheckHooks {
  hosts(): readonly Host[];
  changed(): void;
  onResult(ok: boolean): void;
}

export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inFlight = new Set<Host>();

  constructor(
    private cfg: HealthCheckModel,
    private readonly hooks: HealthCheckHooks,
  ) {}

  start(): void {
    for (const h of this.hooks.hosts()) if (h.hcSeen === false) h.hcFailed = true;
    this.round();
  }

  update(cfg: HealthCheckModel): void {
    this.cfg = cfg;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => this.round(), this.cfg.intervalMs);
    this.timer.unref();
  }

  private round(): void {
    for (const h of this.hooks.hosts()) {
      if (!h.hcSeen) {
        h.hcSeen = true;
        h.hcFailed = true;
      }
      if (this.inFlight.has(h)) continue;
      this.inFlight.add(h);
      const done = (ok: boolean) => {
        this.inFlight.delete(h);
        if (this.closed) return;
        this.hooks.onResult(ok);
        this.record(h, ok);
      };
      if (this.cfg.kind === 'http') this.httpCheck(h, done);
      else this.tcpCheck(h, done);
    }
    this.schedule();
  }

  private record(h: Host, ok: boolean): void {
    if (ok) {
      h.hcFailures = 0;
      h.hcSuccesses++;
      // The first success after start counts fully (Envoy: a pending host becomes healthy at once).
      if (h.hcFailed && (h.hcSuccesses >= this.cfg.healthyThreshold || !h.hcEverHealthy)) {
        h.hcFailed = false;
        h.hcEverHealthy = true;
        this.hooks.changed();
      }
    } else {
      h.hcSuccesses = 0;
      h.hcFailures++;
      if (!h.hcFailed && h.hcFailures >= this.cfg.unhealthyThreshold) {
        h.hcFailed = true;
        this.hooks.changed();
      }
    }
  }

  private httpCheck(h: Host, done: (ok: boolean) => void): void {
    let finished = false;
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      done(ok);
    };
    const req = http.request(
      {
        host: h.address,
        port: h.port,
        path: this.cfg.path,
        method: 'GET',
        agent: false,
        timeout: this.cfg.timeoutMs,
        headers: {
          host: this.cfg.host || h.hostname || `${h.address}:${h.port}`,
          'user-agent': 'Envoy/HC',
          connection: 'close',
        },
      },
      (res) => {
        const s = res.statusCode ?? 0;
        res.resume();
        finish(this.cfg.expectedStatuses.some((r) => s >= r.start && s < r.end));
      },
    );
    req.on('timeout', () => req.destroy(new Error('health check timeout')));
    req.on('error', () => finish(false));
    req.end();
  }

  private tcpCheck(h: Host, done: (ok: boolean) => void): void {
    const s = net.connect({ host: h.address, port: h.port, timeout: this.cfg.timeoutMs });
    let finished = false;
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      s.destroy();
      done(ok);
    };
    s.once('connect', () => finish(true));
    s.once('timeout', () => finish(false));
    s.once('error', () => finish(false));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
