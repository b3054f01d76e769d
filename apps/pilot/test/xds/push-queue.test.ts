// The push queue's two bounds: pushes in flight, and unflushed bytes across connections.
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import type { PushContext } from '../../src/model/push-context.js';
import type { Connection, SendBudget } from '../../src/xds/connection.js';
import { PushQueue } from '../../src/xds/push-queue.js';
import { fullPush } from '../../src/xds/push-request.js';

/** A connection whose push writes `bytes` and finishes when the test says so. */
function fakeConnection(id: string, budget: SendBudget, bytes: number) {
  const started: string[] = [];
  let finish = () => {};
  const conn = {
    id,
    push: () => {
      started.push(id);
      budget.pendingBytes += bytes;
      return new Promise<void>((resolve) => {
        finish = () => {
          budget.pendingBytes -= bytes;
          resolve();
        };
      });
    },
  };
  return { conn: conn as unknown as Connection, started, finish: () => finish() };
}

const ctx = { version: '1' } as PushContext;
const tick = () => new Promise((r) => setImmediate(r));

describe('PushQueue', () => {
  it('starts no further push while the send budget is spent, and resumes when bytes flush', async () => {
    const budget: SendBudget = { pendingBytes: 0, limitBytes: 100 };
    const queue = new PushQueue(10, new Metrics(), undefined, undefined, budget);
    const a = fakeConnection('a', budget, 150);
    const b = fakeConnection('b', budget, 10);
    queue.enqueue(a.conn, ctx, fullPush('config', 0));
    await tick();
    queue.enqueue(b.conn, ctx, fullPush('config', 0));
    await tick();
    // Concurrency allows b, the budget does not: a holds 150 unflushed bytes of 100.
    expect(a.started).toEqual(['a']);
    expect(b.started).toEqual([]);
    a.finish();
    await tick();
    await tick();
    expect(b.started).toEqual(['b']);
    b.finish();
    await queue.idle();
  });

  it('lets one push through even when it alone exceeds the budget', async () => {
    const budget: SendBudget = { pendingBytes: 500, limitBytes: 100 };
    const queue = new PushQueue(10, new Metrics(), undefined, undefined, budget);
    const a = fakeConnection('a', budget, 10);
    queue.enqueue(a.conn, ctx, fullPush('config', 0));
    await tick();
    expect(a.started).toEqual(['a']);
    a.finish();
    await queue.idle();
  });
});
