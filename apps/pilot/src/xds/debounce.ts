// Istio's debounce: merge events until the stream of them has been quiet for `afterMs`, but never hold
// a merged event longer than `maxMs` after its first one. Timers are injected for tests.
import { type PushRequest, PushRequestMerger } from './push-request.js';

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class Debouncer {
  private merged: PushRequestMerger | undefined;
  private firstAt = 0;
  private timer: unknown;

  constructor(
    private readonly afterMs: number,
    private readonly maxMs: number,
    private readonly fire: (req: PushRequest, debounceMs: number) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  add(req: PushRequest): void {
    const now = this.timers.now();
    if (!this.merged) {
      this.firstAt = now;
      this.merged = new PushRequestMerger();
    }
    this.merged.add(req);
    if (this.afterMs === 0) {
      this.flush();
      return;
    }
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    const due = Math.min(now + this.afterMs, this.firstAt + this.maxMs);
    this.timer = this.timers.setTimeout(() => this.flush(), Math.max(0, due - now));
  }

  /** Fires now whatever is pending (shutdown, tests). */
  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const req = this.merged?.request();
    this.merged = undefined;
    if (req) this.fire(req, this.timers.now() - this.firstAt);
  }

  close(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.merged = undefined;
  }
}
