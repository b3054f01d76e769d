// Reconnect backoff: exponential with full jitter, bounded. Full jitter (AWS's "exponential backoff and
// jitter") spreads a fleet of proxies reconnecting after a pilot restart over the whole window instead
// of having them retry in lockstep; the cap bounds how long a proxy stays disconnected once the server
// is back. Pure: the random source is injected so tests are deterministic.

export interface BackoffOptions {
  /** First delay's upper bound (Envoy's default base interval is 500 ms for xDS). */
  readonly baseMs?: number;
  /** Largest delay (Envoy: 30 s). */
  readonly maxMs?: number;
  readonly random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = Math.max(1, opts.baseMs ?? 500);
    this.maxMs = Math.max(this.baseMs, opts.maxMs ?? 30_000);
    this.random = opts.random ?? Math.random;
  }

  /**
   * The next delay: uniform in [0, min(max, base * 2^attempt)], with a floor of base/10 so a server
   * that accepts and immediately drops streams is not hammered in a tight loop.
   */
  next(): number {
    // 2^30 is far past any cap; clamping the exponent keeps the arithmetic finite.
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    const floor = Math.max(1, Math.floor(this.baseMs / 10));
    return Math.max(floor, Math.floor(this.random() * ceiling));
  }

  /** A stream that got a response resets the backoff: the server is healthy again. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
