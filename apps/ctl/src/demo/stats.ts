// What the demo measures, client side (the traffic generator sees exactly what an app would): per
// protocol, requests, failures, latency percentiles and which version answered, per one-second window,
// per phase and in total. Memory is fixed: latencies go into a log-scale histogram, error kinds are
// capped.

/** Histogram buckets grow by 5%: a percentile is reported within 5% of the true value. */
const GROWTH = 1.05;
const MIN_MS = 0.05;
const BUCKETS = Math.ceil(Math.log(120_000 / MIN_MS) / Math.log(GROWTH)) + 1;
const MAX_ERROR_KINDS = 8;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private n = 0;

  add(ms: number): void {
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.n++;
  }

  /** The upper bound of the bucket holding the q-quantile (0 < q <= 1); 0 when empty. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.ceil(q * this.n);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return MIN_MS * GROWTH ** i;
    }
    return MIN_MS * GROWTH ** (BUCKETS - 1);
  }
}

export type Outcome = { ok: true; version: string; ms: number } | { ok: false; error: string; ms: number };

export interface TallySummary {
  requests: number;
  ok: number;
  failed: number;
  /** Percent of requests that succeeded; 100 when there were none. */
  successRate: number;
  p50Ms: number;
  p99Ms: number;
  /** Successful responses by the version that answered. */
  byVersion: Record<string, number>;
  /** Failures by kind (at most a few kinds; the rest count as "other"). */
  errors: Record<string, number>;
}

export class Tally {
  private requests = 0;
  private ok = 0;
  private readonly hist = new LatencyHistogram();
  private readonly versions = new Map<string, number>();
  private readonly errors = new Map<string, number>();

  record(o: Outcome): void {
    this.requests++;
    this.hist.add(o.ms);
    if (o.ok) {
      this.ok++;
      this.versions.set(o.version, (this.versions.get(o.version) ?? 0) + 1);
    } else {
      const kind = this.errors.has(o.error) || this.errors.size < MAX_ERROR_KINDS ? o.error : 'other';
      this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    }
  }

  summary(): TallySummary {
    const round = (x: number): number => Math.round(x * 100) / 100;
    return {
      requests: this.requests,
      ok: this.ok,
      failed: this.requests - this.ok,
      successRate: this.requests === 0 ? 100 : round((100 * this.ok) / this.requests),
      p50Ms: round(this.hist.quantile(0.5)),
      p99Ms: round(this.hist.quantile(0.99)),
      byVersion: Object.fromEntries([...this.versions].sort()),
      errors: Object.fromEntries(this.errors),
    };
  }
}

/** One protocol's tallies: the current second, each phase, and the whole run. */
export class ProtocolStats {
  private window = new Tally();
  private readonly total = new Tally();
  private readonly phases = new Map<string, Tally>();

  record(o: Outcome, phase: string): void {
    this.window.record(o);
    this.total.record(o);
    let p = this.phases.get(phase);
    if (!p) {
      p = new Tally();
      this.phases.set(phase, p);
    }
    p.record(o);
  }

  /** The window since the last call, then a fresh one. */
  takeWindow(): TallySummary {
    const s = this.window.summary();
    this.window = new Tally();
    return s;
  }

  totalSummary(): TallySummary {
    return this.total.summary();
  }

  phaseSummary(phase: string): TallySummary {
    return (this.phases.get(phase) ?? new Tally()).summary();
  }
}
