// Server-side fan-out: a subscriber whose stream backs up is switched to "owed a resync" instead of
// buffering every delta, and converges once it drains.
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteRegistry } from '../../src/backends/embedded/client.js';
import { normalizeInstance } from '../../src/instance.js';
import { RegistryServer } from '../../src/server/server.js';
import { WatchCursor } from '../contract/watch-cursor.js';

describe('RegistryServer fan-out', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('resyncs a backed-up subscriber instead of buffering without bound', async () => {
    // A 1-byte budget: any write that does not flush at once blocks the stream.
    const server = new RegistryServer({ maxPendingBytes: 1 });
    const port = await server.listen('127.0.0.1:0');
    const client = new RemoteRegistry(`127.0.0.1:${port}`);
    cleanup.push(
      () => server.close(),
      () => client.close(),
    );
    const cursor = new WatchCursor(client.watch('burst'));
    await cursor.until((c) => c.events.length === 1, 10_000, 'snapshot');
    const lease = server.store.grantLease(60_000);
    // A synchronous burst: thousands of deltas queued to one stream within a single tick.
    for (let n = 0; n < 3000; n++) {
      server.store.put(
        normalizeInstance({
          service: 'burst',
          address: `10.0.${n >> 8}.${n & 255}`,
          port: 1,
          labels: { pad: 'x'.repeat(200) },
        }),
        lease,
      );
    }
    await cursor.until((c) => c.state.size === 3000, 20_000, 'all 3000 instances');
    const m = server.metrics.snapshot();
    expect(m['watch_overflow_resyncs']).toBeGreaterThan(0);
    expect(cursor.events.some((e) => e.type === 'resync' && e.reason === 'overflow')).toBe(true);
    // Far fewer messages than changes were written to the stream.
    expect(m['watch_events_delivered']).toBeLessThan(3000);
    cursor.watch.close();
  }, 60_000);

  it('pushes one encoded delta carrying only the changed endpoint to every subscriber', async () => {
    const server = new RegistryServer();
    const port = await server.listen('127.0.0.1:0');
    const clients = Array.from({ length: 5 }, () => new RemoteRegistry(`127.0.0.1:${port}`));
    cleanup.push(() => server.close(), ...clients.map((c) => () => c.close()));
    const lease = server.store.grantLease(60_000);
    for (let n = 0; n < 500; n++) {
      server.store.put(
        normalizeInstance({ service: 'big', address: `10.1.${n >> 8}.${n & 255}`, port: 1 }),
        lease,
      );
    }
    const cursors = clients.map((c) => new WatchCursor(c.watch('big')));
    for (const c of cursors) await c.until((x) => x.state.size === 500, 10_000, 'snapshot');
    const before = server.bytesPushed;
    server.store.put(normalizeInstance({ service: 'big', address: '10.1.0.7', port: 1, weight: 9 }), lease);
    for (const c of cursors) await c.until((x) => x.state.get('10.1.0.7:1')?.weight === 9, 10_000, 'update');
    const perSubscriber = (server.bytesPushed - before) / clients.length;
    expect(perSubscriber).toBeLessThan(200); // one endpoint, not 500
    for (const c of cursors) {
      expect(c.events.at(-1)).toMatchObject({ type: 'delta', added: [], removed: [] });
      c.watch.close();
    }
  }, 60_000);
});
