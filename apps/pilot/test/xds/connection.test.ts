// A connection whose client stops reading: its pushes must not wait forever, hold memory or a push
// slot; it is disconnected with a reason while other connections keep being served.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { buildPushContext } from '../../src/model/push-context.js';
import { Connection, type Transport } from '../../src/xds/connection.js';
import { ResponseEncoder } from '../../src/xds/encoder.js';
import { Generators } from '../../src/xds/generators.js';
import { PushQueue } from '../../src/xds/push-queue.js';
import { fullPush } from '../../src/xds/push-request.js';
import { CDS } from '../../src/xds/type-urls.js';
import { baseConfig } from '../helpers/scenario.js';
import { node } from '../helpers/xds-client.js';

function fakeTransport(
  flush: boolean,
): Transport & { closedWith?: { code: number; message: string }; writes: number } {
  const t: Transport & { closedWith?: { code: number; message: string }; writes: number } = {
    peer: 'test',
    writes: 0,
    write(_bytes, done) {
      t.writes++;
      if (flush) setImmediate(done);
    },
    close(code, message) {
      t.closedWith = { code, message };
    },
  };
  return t;
}

const ctx = (v: string) =>
  buildPushContext({ version: v, architecture: 'three-in-one', config: baseConfig(), instances: new Map() });

describe('Connection backpressure', () => {
  const metrics = new Metrics();
  const deps = (limit: number, timeoutMs: number) => ({
    generators: new Generators(),
    metrics,
    log: silentLogger,
    servesEds: true,
    sendQueueLimit: limit,
    writeTimeoutMs: timeoutMs,
    encoder: new ResponseEncoder(1 << 20),
    sendBudget: { pendingBytes: 0, limitBytes: 1 << 20 },
    now: () => performance.now(),
  });

  it('disconnects a client whose writes never flush, after the write timeout, without blocking others', async () => {
    const stuckT = fakeTransport(false);
    const okT = fakeTransport(true);
    const stuck = new Connection('sotw', stuckT, ctx('1'), deps(64, 100));
    const ok = new Connection('sotw', okT, ctx('1'), deps(64, 100));
    for (const c of [stuck, ok])
      c.onRequest({ node: node('sidecar~1.1.1.1~a.default~default.svc.cluster.local'), typeUrl: CDS });
    const queue = new PushQueue(1, metrics);
    const started = performance.now();
    // Concurrency 1 and the stuck client first: the good one still gets its push once the stuck one
    // times out (a different context version so there is something new to send).
    queue.enqueue(stuck, ctx('2'), fullPush('config', 0));
    queue.enqueue(ok, ctx('2'), fullPush('config', 0));
    await queue.idle();
    expect(stuckT.closedWith?.code).toBe(4);
    expect(stuckT.closedWith?.message).toMatch(
      /client too slow, disconnected: writes not flushed within 100 ms/,
    );
    expect(okT.closedWith).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(metrics.get('pilot_xds_write_timeout')).toBeGreaterThan(0);
  });

  it('disconnects a client whose unflushed responses exceed the send queue limit', () => {
    const t = fakeTransport(false);
    const c = new Connection('delta', t, ctx('1'), deps(1, 10_000));
    c.onRequest({
      node: node('sidecar~1.1.1.1~a.default~default.svc.cluster.local'),
      typeUrl: CDS,
      resourceNamesSubscribe: ['*'],
    });
    expect(t.writes).toBe(1);
    c.onRequest({
      typeUrl: 'type.googleapis.com/envoy.config.listener.v3.Listener',
      resourceNamesSubscribe: ['*'],
    });
    expect(t.closedWith?.code).toBe(8);
    expect(t.closedWith?.message).toMatch(/1 responses unflushed \(limit 1\)/);
    expect(c.isClosed).toBe(true);
  });
});
