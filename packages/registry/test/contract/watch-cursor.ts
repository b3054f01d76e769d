// Test helper: consumes a Watch in the background, applies events to a materialized view exactly as a
// real consumer should (replace on snapshot/resync, apply on delta), records every event, and lets a
// test wait until the view satisfies a predicate.
import type { Instance, Watch, WatchEvent } from '../../src/types.js';

export class WatchCursor {
  readonly events: WatchEvent[] = [];
  readonly state = new Map<string, Instance>();
  private error: unknown;
  private done = false;
  private readonly waiters = new Set<() => void>();
  readonly finished: Promise<void>;

  constructor(readonly watch: Watch) {
    this.finished = this.run();
  }

  private async run(): Promise<void> {
    try {
      for await (const ev of this.watch) {
        this.events.push(ev);
        if (ev.type === 'delta') {
          for (const i of ev.added) this.state.set(i.id, i);
          for (const i of ev.updated) this.state.set(i.id, i);
          for (const id of ev.removed) this.state.delete(id);
        } else {
          this.state.clear();
          for (const i of ev.instances) this.state.set(i.id, i);
        }
        this.wake();
      }
    } catch (err) {
      this.error = err;
    } finally {
      this.done = true;
      this.wake();
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  get ended(): boolean {
    return this.done;
  }

  get failure(): unknown {
    return this.error;
  }

  ids(): string[] {
    return [...this.state.keys()].sort();
  }

  /** Resolves once `predicate` holds; rejects with a description of the last state after `timeoutMs`. */
  until(predicate: (c: WatchCursor) => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate(this)) {
          cleanup();
          resolve();
        } else if (this.done) {
          cleanup();
          reject(new Error(`watch ended before ${what}; events: ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`timed out waiting for ${what}; ids=${this.ids().join(',')} events: ${this.describe()}`),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  describe(): string {
    return this.events
      .map((e) =>
        e.type === 'delta'
          ? `delta@${e.revision}(+${e.added.length} ~${e.updated.length} -${e.removed.length})`
          : `${e.type}@${e.revision}(${e.instances.length}${e.type === 'resync' ? ` ${e.reason}` : ''})`,
      )
      .join(' ');
  }
}
