// Active health checking (HTTP GET or TCP connect) per cluster. Hosts start as failed until their first
// successful check, as Envoy's do; unhealthy_threshold consecutive failures mark a host failed and
// healthy_threshold consecutive successes bring it back. A state change rebuilds the cluster's LB.
import http from 'node:http';
import type { HealthCheckModel } from '../model/cluster.js';
import type { UpstreamTlsModel } from '../model/upstream-tls.js';
import type { Host } from './host.js';
import { connectUpstream, type UpstreamConnectOptions } from './transport.js';

export interface HealthCheckHooks {
  hosts(): readonly Host[];
  changed(): void;
  onResult(ok: boolean): void;
  /** The cluster's transport now: health checks connect as traffic does (Envoy uses the cluster's
   * transport socket for them too), so a TLS upstream is checked over TLS. */
  transport(): { tls: UpstreamTlsModel | undefined; stats: UpstreamConnectOptions['stats'] };
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
    const { tls, stats } = this.hooks.transport();
    const req = http.request(
      {
        host: h.address,
        port: h.port,
        // One connection per check either way: node uses `createConnection` only without an agent
        // (with `agent: false` it would build a plain agent and ignore it).
        ...(tls
          ? { createConnection: () => connectUpstream({ host: h.address, port: h.port, tls, stats }).socket }
          : { agent: false }),
        path: this.cfg.path,
        method: 'GET',
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
    const { tls, stats } = this.hooks.transport();
    const { socket: s, readyEvent } = connectUpstream({ host: h.address, port: h.port, tls, stats });
    s.setTimeout(this.cfg.timeoutMs);
    let finished = false;
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      s.destroy();
      done(ok);
    };
    s.once(readyEvent, () => finish(true));
    s.once('timeout', () => finish(false));
    s.once('error', () => finish(false));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
