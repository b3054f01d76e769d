// The durability promise of `strait-registry`: whatever a client had acknowledged survives kill -9.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteRegistry } from '../../src/backends/embedded/client.js';
import { WatchCursor } from '../contract/watch-cursor.js';
import { ServerProcess } from '../helpers/server-process.js';

describe('strait-registry persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strait-registry-wal-'));
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write across kill -9 and restarts, and clients resume', async () => {
    // Snapshot every 25 records so the run crosses snapshot + log truncation as well as plain log replay.
    const server = new ServerProcess(dir, ['--snapshot-every', '25']);
    await server.start();
    cleanup.push(() => server.stop());
    const writer = new RemoteRegistry(server.address, { sessionTtlMs: 4000 });
    const reader = new RemoteRegistry(server.address);
    cleanup.push(
      () => writer.close(),
      () => reader.close(),
    );

    const acked = new Map<string, number>();
    for (let n = 1; n <= 60; n++) {
      const liveness = n % 3 === 0 ? { kind: 'session' as const } : { kind: 'ttl' as const, ttlMs: 4000 };
      const reg = await writer.register(
        {
          service: `svc-${n % 4}`,
          address: `10.0.${n >> 8}.${n & 255}`,
          port: 20880,
          weight: n,
          protocol: 'dubbo',
        },
        { liveness },
      );
      acked.set(`${reg.instance.service}/${reg.instance.id}`, n);
    }
    // Deregistrations are acknowledged writes too: they must stay deregistered.
    for (let n = 4; n <= 60; n += 8) {
      await writer.deregister(`svc-${n % 4}`, `10.0.${n >> 8}.${n & 255}:20880`);
      acked.delete(`svc-${n % 4}/10.0.${n >> 8}.${n & 255}:20880`);
    }
    const cursor = new WatchCursor(reader.watch('svc-1'));
    await cursor.until(
      (c) => c.state.size === [...acked.keys()].filter((k) => k.startsWith('svc-1/')).length,
    );

    const listAll = async (r: RemoteRegistry): Promise<Map<string, number>> => {
      const out = new Map<string, number>();
      for (const s of await r.services()) for (const i of await r.list(s)) out.set(`${s}/${i.id}`, i.weight);
      return out;
    };
    expect(await listAll(reader)).toEqual(acked);

    await server.kill9();
    await server.start();
    // The writer's heartbeats continue against the restarted server: leases came back with a fresh TTL.
    expect(await listAll(reader)).toEqual(acked);

    // Writes after the restart are acknowledged and pushed; the watcher reconnected on its own.
    await writer.register({ service: 'svc-1', address: '10.9.9.9', port: 1 });
    acked.set('svc-1/10.9.9.9:1', 100);
    await cursor.until((c) => c.state.has('10.9.9.9:1'), 15_000, 'post-restart registration');
    expect(cursor.ids()).toEqual(
      [...acked.keys()]
        .filter((k) => k.startsWith('svc-1/'))
        .map((k) => k.slice(6))
        .sort(),
    );

    // A second crash right after a write: the write was acked, so it must be there.
    await writer.deregister('svc-1', '10.9.9.9:1');
    acked.delete('svc-1/10.9.9.9:1');
    await server.kill9();
    await server.start();
    expect(await listAll(reader)).toEqual(acked);

    // Leases survive restarts only while their owner keeps renewing: once the writer is gone, they lapse.
    writer.abandon();
    await expect.poll(async () => (await listAll(reader)).size, { timeout: 15_000, interval: 250 }).toBe(0);
    cursor.watch.close();
  }, 180_000);
});

describe('strait-registry data dir lock', () => {
  it('refuses a second server on the same data dir, and takes over a lock left by kill -9', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strait-registry-lock-'));
    const first = new ServerProcess(dir);
    await first.start();
    const second = new ServerProcess(dir);
    await expect(second.start()).rejects.toThrow(/in use by process/);
    await first.kill9();
    await first.start(); // the lock still names the dead process: taken over
    await first.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
