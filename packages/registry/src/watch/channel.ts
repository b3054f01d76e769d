// The per-watcher queue every backend uses to implement Watch: bounded, coalescing, resync on overflow.
//
// Why this shape: a registry may have thousands of watchers and bursts of thousands of changes. A
// plain queue per watcher grows without bound behind a slow consumer. Instead, consecutive deltas are
// merged into one pending change set (a burst costs one wake-up), and once the pending change count
// exceeds the limit the channel drops it and owes the consumer a resync. The resync snapshot is taken
// lazily, from the backend's current view, when the consumer next pulls: a slow consumer costs at most
// one materialization, never a backlog.
import { RegistryError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { DeltaEvent, Instance, ResyncReason, Watch, WatchEvent, WatchOptions } from '../types.js';

export const DEFAULT_MAX_BUFFERED = 1024;

/** The backend's current view of one service; called lazily when a resync is owed. */
export type SnapshotSource = () => { revision: number; instances: readonly Instance[] };

/** A pending coalesced delta: maps keep insertion order and make merging O(changes). */
interface PendingDelta {
  revision: number;
  added: Map<string, Instance>;
  updated: Map<string, Instance>;
  removed: Set<string>;
}

type Pending =
  | { kind: 'event'; event: WatchEvent }
  | { kind: 'delta'; delta: PendingDelta }
  /** Owed full state; `initial` when it stands in for a not-yet-delivered first snapshot. */
  | { kind: 'resync'; reason: ResyncReason; initial: boolean };

function deltaSize(d: PendingDelta): number {
  return d.added.size + d.updated.size + d.removed.size;
}

export class WatchChannel implements Watch {
  readonly service: string;
  private readonly queue: Pending[] = [];
  private pendingChanges = 0;
  private readonly maxBuffered: number;
  private readonly coalesce: boolean;
  private waiter: ((r: IteratorResult<WatchEvent>) => void) | undefined;
  private failer: ((e: unknown) => void) | undefined;
  private closed = false;
  private error: unknown;
  private lastRevision = -1;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.close();

  constructor(
    service: string,
    options: WatchOptions | undefined,
    private readonly metrics: Metrics,
    private readonly source: SnapshotSource,
    private readonly onClose: (ch: WatchChannel) => void,
  ) {
    this.service = service;
    this.maxBuffered = Math.max(1, options?.maxBufferedEvents ?? DEFAULT_MAX_BUFFERED);
    this.coalesce = options?.coalesce ?? true;
    metrics.inc('watchers_active');
    this.signal = options?.signal;
    if (this.signal?.aborted) queueMicrotask(() => this.close());
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues the initial snapshot (backends call this once, first). */
  pushSnapshot(revision: number, instances: readonly Instance[]): void {
    this.enqueue({ kind: 'event', event: { type: 'snapshot', service: this.service, revision, instances } });
  }

  /** Queues the first snapshot lazily: taken from the source when the consumer first pulls. */
  pushInitial(): void {
    this.enqueue({ kind: 'resync', reason: 'reconnect', initial: true });
  }

  /** Queues a resync now (backend detected a gap); pending deltas are superseded by it. */
  pushResync(reason: ResyncReason): void {
    if (this.closed) return;
    const initial = this.dropPending();
    this.enqueue({ kind: 'resync', reason, initial });
  }

  pushDelta(delta: Omit<DeltaEvent, 'type' | 'service'>): void {
    if (this.closed) return;
    const size = delta.added.length + delta.updated.length + delta.removed.length;
    if (size === 0) return;
    const tail = this.queue[this.queue.length - 1];
    if (tail?.kind === 'resync') return; // the owed snapshot, taken at pull time, will include this change
    if (this.pendingChanges + size > this.maxBuffered) {
      // Fallen behind: replace everything pending with one resync rather than growing.
      this.metrics.inc('watch_overflow_resyncs');
      const initial = this.dropPending();
      this.enqueue({ kind: 'resync', reason: 'overflow', initial });
      return;
    }
    if (this.coalesce && tail?.kind === 'delta') {
      const before = deltaSize(tail.delta);
      mergeInto(tail.delta, delta);
      this.pendingChanges += deltaSize(tail.delta) - before;
      this.metrics.inc('watch_deltas_coalesced');
      return;
    }
    const d: PendingDelta = {
      revision: delta.revision,
      added: new Map(),
      updated: new Map(),
      removed: new Set(),
    };
    mergeInto(d, delta);
    this.pendingChanges += deltaSize(d);
    this.enqueue({ kind: 'delta', delta: d });
  }

  /** Ends the watch from the backend side; with an error, the consumer's next() rejects with it. */
  end(error?: unknown): void {
    if (this.closed) return;
    this.error = error;
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropPending();
    this.metrics.dec('watchers_active');
    this.onClose(this);
    this.signal?.removeEventListener('abort', this.onAbort);
    const w = this.waiter;
    const f = this.failer;
    this.waiter = undefined;
    this.failer = undefined;
    if (this.error !== undefined && f) f(this.error);
    else w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent, void, undefined> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<WatchEvent>> {
    const ev = this.take();
    if (ev) return Promise.resolve({ value: ev, done: false });
    if (this.closed) {
      if (this.error !== undefined) {
        const e = this.error;
        this.error = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter)
      return Promise.reject(new RegistryError('REG_ERR_PROTOCOL', 'concurrent next() on a watch'));
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failer = reject;
    });
  }

  private take(): WatchEvent | undefined {
    for (;;) {
      const p = this.queue.shift();
      if (!p) return undefined;
      const ev = this.materialize(p);
      if (ev) {
        this.metrics.inc('watch_events_delivered');
        if (ev.type === 'resync') this.metrics.inc('watch_resyncs');
        this.lastRevision = ev.revision;
        return ev;
      }
    }
  }

  private materialize(p: Pending): WatchEvent | undefined {
    if (p.kind === 'event') return p.event;
    if (p.kind === 'resync') {
      const snap = this.source();
      if (p.initial) {
        return {
          type: 'snapshot',
          service: this.service,
          revision: snap.revision,
          instances: snap.instances,
        };
      }
      return {
        type: 'resync',
        service: this.service,
        revision: snap.revision,
        reason: p.reason,
        instances: snap.instances,
      };
    }
    this.pendingChanges -= deltaSize(p.delta);
    // A delta already covered by a resync snapshot taken later than it was queued is redundant.
    if (p.delta.revision <= this.lastRevision) return undefined;
    return {
      type: 'delta',
      service: this.service,
      revision: p.delta.revision,
      added: [...p.delta.added.values()],
      updated: [...p.delta.updated.values()],
      removed: [...p.delta.removed],
    };
  }

  private enqueue(p: Pending): void {
    if (this.closed) return;
    const w = this.waiter;
    if (w && this.queue.length === 0) {
      this.waiter = undefined;
      this.failer = undefined;
      const ev = this.materialize(p);
      if (ev) {
        this.metrics.inc('watch_events_delivered');
        if (ev.type === 'resync') this.metrics.inc('watch_resyncs');
        this.lastRevision = ev.revision;
        w({ value: ev, done: false });
        return;
      }
      this.waiter = w;
      return;
    }
    this.queue.push(p);
  }

  /**
   * Drops everything pending. Returns true when an undelivered first snapshot was among it: the owed
   * state must then still be delivered as a `snapshot` (the contract: a snapshot always comes first).
   */
  private dropPending(): boolean {
    const hadInitial = this.queue.some(
      (p) => (p.kind === 'event' && p.event.type === 'snapshot') || (p.kind === 'resync' && p.initial),
    );
    this.queue.length = 0;
    this.pendingChanges = 0;
    return hadInitial;
  }
}

/** Folds `d` into `into` so the result is the net change (add-then-remove cancels, etc.). */
function mergeInto(into: PendingDelta, d: Omit<DeltaEvent, 'type' | 'service'>): void {
  into.revision = Math.max(into.revision, d.revision);
  for (const inst of d.added) {
    if (into.removed.delete(inst.id)) into.updated.set(inst.id, inst);
    else into.added.set(inst.id, inst);
  }
  for (const inst of d.updated) {
    if (into.added.has(inst.id)) into.added.set(inst.id, inst);
    else into.updated.set(inst.id, inst);
  }
  for (const id of d.removed) {
    if (into.added.delete(id)) continue;
    into.updated.delete(id);
    into.removed.add(id);
  }
}
