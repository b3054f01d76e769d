// Fans a push out to connections with at most `concurrency` in flight. Each connection has at most one
// pending entry (later requests merge into it), so the queue is bounded by the number of connections;
// a slow connection holds one slot only until its write timeout, never the whole queue.
import type { Metrics } from '../metrics.js';
import type { PushContext } from '../model/push-context.js';
import type { Connection, SendBudget } from './connection.js';
import { type PushRequest, PushRequestMerger } from './push-request.js';

interface Pending {
  ctx: PushContext;
  readonly merged: PushRequestMerger;
  enqueuedAt: number;
}

export class PushQueue {
  private readonly pending = new Map<Connection, Pending>();
  private readonly inFlight = new Set<Connection>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly metrics: Metrics,
    private readonly now: () => number = () => performance.now(),
    /** A push that threw (a builder bug): the connection is closed, the others go on. */
    private readonly onError: (conn: Connection, err: Error) => void = (conn) =>
      conn.close(13, 'internal error'),
    /** Unflushed bytes across connections: no new push starts while over it (one always may). */
    private readonly budget?: SendBudget,
  ) {}

  enqueue(conn: Connection, ctx: PushContext, req: PushRequest): void {
    const existing = this.pending.get(conn);
    if (existing) {
      existing.ctx = ctx;
      existing.merged.add(req);
    } else {
      this.pending.set(conn, { ctx, merged: new PushRequestMerger().add(req), enqueuedAt: this.now() });
    }
    this.metrics.set('pilot_push_queue_depth', this.pending.size);
    this.pump();
  }

  remove(conn: Connection): void {
    this.pending.delete(conn);
    this.metrics.set('pilot_push_queue_depth', this.pending.size);
  }

  get size(): number {
    return this.pending.size + this.inFlight.size;
  }

  /** Resolves when nothing is pending or in flight. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    for (const [conn, p] of this.pending) {
      if (this.inFlight.size >= this.concurrency) break;
      if (this.budget && this.inFlight.size > 0 && this.budget.pendingBytes >= this.budget.limitBytes) break;
      // A connection already being pushed keeps its merged entry until that push is done.
      if (this.inFlight.has(conn)) continue;
      this.pending.delete(conn);
      this.inFlight.add(conn);
      this.metrics.observe('pilot_proxy_queue_time', (this.now() - p.enqueuedAt) / 1000);
      // Start on a fresh task so a burst of pushes lets I/O (ACKs, new streams) interleave.
      setImmediate(() => {
        let done: Promise<void>;
        try {
          done = conn.push(p.ctx, p.merged.request());
        } catch (err) {
          this.onError(conn, err as Error);
          done = Promise.resolve();
        }
        void done.finally(() => {
          this.inFlight.delete(conn);
          this.metrics.set('pilot_push_queue_depth', this.pending.size);
          this.pump();
          if (this.size === 0) {
            const w = this.idleWaiters;
            this.idleWaiters = [];
            for (const f of w) f();
          }
        });
      });
    }
  }
}
