// The contract every Registry backend must pass, run against its real server. A backend's test file
// calls `registryContract('etcd', async () => harness)`; the harness starts the server (once per file),
// opens clients, and supplies the backend-specific ways to crash a client or make a watcher miss history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRegistryError } from '../../src/errors.js';
import type { InstanceSpec, Liveness, Registry, WatchEvent } from '../../src/types.js';
import { WatchCursor } from './watch-cursor.js';

export interface ContractHarness {
  /** Opens a new, independent client (its own session/connection). */
  open(): Promise<Registry>;
  /** Liveness for the expiry test; keep it short (for example `{ kind: 'ttl', ttlMs: 1500 }`). */
  readonly shortLiveness: Liveness;
  /**
   * Kills `registry` abruptly: no deregister, no lease revoke, no session close message (abandon the
   * socket, kill the child process...). Its instances must then vanish within the liveness window.
   */
  crash(registry: Registry): Promise<void>;
  /**
   * Makes the client behind `watcher` miss changes so it must resync: for example disconnect it, call
   * `mutate()` (which changes the watched service), compact history, then let it reconnect. Omit when
   * the backend cannot produce a gap; the test is then skipped.
   */
  induceGap?(watcher: Registry, mutate: () => Promise<void>): Promise<void>;
  /** Stops servers and removes temp data. */
  close(): Promise<void>;
  /** Propagation timeout for waits, ms. Default 10,000. */
  readonly timeoutMs?: number;
}

/** Per-test budget: waits go up to 3x the harness timeout, and CI machines are shared. */
const TEST_TIMEOUT_MS = 90_000;

let seq = 0;
const unique = (base: string): string => `${base}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

const spec = (service: string, n: number, extra: Partial<InstanceSpec> = {}): InstanceSpec => ({
  service,
  address: `10.0.0.${n}`,
  port: 20880,
  protocol: 'dubbo',
  labels: { version: 'v1', cell: 'c1', zone: 'z1', region: 'r1' },
  application: 'demo-provider',
  interfaces: ['org.apache.dubbo.demo.DemoService'],
  metadata: { side: 'provider' },
  ...extra,
});

export function registryContract(name: string, factory: () => Promise<ContractHarness>): void {
  describe(`Registry contract: ${name}`, () => {
    let h: ContractHarness;
    const opened: Registry[] = [];
    const open = async (): Promise<Registry> => {
      const r = await h.open();
      opened.push(r);
      return r;
    };
    const timeout = (): number => h.timeoutMs ?? 10_000;

    beforeAll(async () => {
      h = await factory();
    });

    afterAll(async () => {
      for (const r of opened) await r.close().catch(() => undefined);
      await h?.close();
    }, TEST_TIMEOUT_MS);

    it(
      'registers an instance with defaults filled and lists it',
      async () => {
        const r = await open();
        const service = unique('list');
        const reg = await r.register({ service, address: '10.1.0.1', port: 8080 });
        expect(reg.instance).toMatchObject({
          id: '10.1.0.1:8080',
          service,
          protocol: 'tcp',
          weight: 100,
          health: 'healthy',
          application: service,
        });
        await r.register(spec(service, 2));
        const list = await r.list(service);
        expect(list.map((i) => i.id)).toEqual(['10.0.0.2:20880', '10.1.0.1:8080']);
        expect(list[0]).toEqual({
          id: '10.0.0.2:20880',
          service,
          address: '10.0.0.2',
          port: 20880,
          protocol: 'dubbo',
          weight: 100,
          health: 'healthy',
          labels: { cell: 'c1', region: 'r1', version: 'v1', zone: 'z1' },
          application: 'demo-provider',
          interfaces: ['org.apache.dubbo.demo.DemoService'],
          metadata: { side: 'provider' },
        });
        expect(await r.services()).toContain(service);
        expect(await r.list(unique('empty'))).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'rejects an invalid instance with REG_ERR_INVALID_INSTANCE',
      async () => {
        const r = await open();
        const err = await r
          .register({ service: 'x', address: '10.0.0.1', port: 70000 })
          .catch((e: unknown) => e);
        expect(isRegistryError(err, 'REG_ERR_INVALID_INSTANCE')).toBe(true);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'starts every watch with a full snapshot',
      async () => {
        const r = await open();
        const service = unique('snap');
        await r.register(spec(service, 1));
        await r.register(spec(service, 2));
        const c = new WatchCursor(r.watch(service));
        await c.until((x) => x.events.length > 0, timeout(), 'first event');
        const first = c.events[0] as WatchEvent;
        expect(first.type).toBe('snapshot');
        expect(c.ids()).toEqual(['10.0.0.1:20880', '10.0.0.2:20880']);
        const empty = new WatchCursor(r.watch(unique('none')));
        await empty.until((x) => x.events.length > 0, timeout(), 'empty snapshot');
        expect(empty.events[0]).toMatchObject({ type: 'snapshot', instances: [] });
        c.watch.close();
        empty.watch.close();
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'delivers revisioned deltas for add, update and remove',
      async () => {
        const writer = await open();
        const reader = await open();
        const service = unique('delta');
        await writer.register(spec(service, 1));
        const c = new WatchCursor(reader.watch(service));
        await c.until((x) => x.ids().length === 1, timeout(), 'snapshot with one instance');

        const second = await writer.register(spec(service, 2));
        await c.until((x) => x.state.has('10.0.0.2:20880'), timeout(), 'added instance');

        await writer.register(spec(service, 1, { weight: 7, health: 'draining' }));
        await c.until((x) => x.state.get('10.0.0.1:20880')?.weight === 7, timeout(), 'updated instance');
        expect(c.state.get('10.0.0.1:20880')?.health).toBe('draining');

        await second.deregister();
        await c.until((x) => !x.state.has('10.0.0.2:20880'), timeout(), 'removed instance');
        await writer.deregister(service, '10.0.0.1:20880');
        await c.until((x) => x.state.size === 0, timeout(), 'empty');

        const deltas = c.events.filter((e) => e.type === 'delta');
        expect(deltas.length).toBeGreaterThan(0);
        const seen = (kind: 'added' | 'updated' | 'removed'): boolean =>
          deltas.some((d) => d.type === 'delta' && d[kind].length > 0);
        expect(seen('added') && seen('updated') && seen('removed')).toBe(true);
        const revisions = c.events.map((e) => e.revision);
        for (let i = 1; i < revisions.length; i++) expect(revisions[i]!).toBeGreaterThan(revisions[i - 1]!);
        expect(await reader.list(service)).toEqual([]);
        c.watch.close();
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'removes the instances of a client that dies without deregistering',
      async () => {
        const victim = await open();
        const observer = await open();
        const service = unique('crash');
        await victim.register(spec(service, 1), { liveness: h.shortLiveness });
        await victim.register(spec(service, 2), { liveness: { kind: 'session' } });
        await observer.register(spec(service, 3));
        const c = new WatchCursor(observer.watch(service));
        await c.until((x) => x.state.size === 3, timeout(), 'three instances');
        await h.crash(victim);
        await c.until((x) => x.ids().join() === '10.0.0.3:20880', timeout() * 3, 'crashed instances removed');
        expect((await observer.list(service)).map((i) => i.id)).toEqual(['10.0.0.3:20880']);
        c.watch.close();
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'resyncs a watcher that missed history, converging to the current state',
      async (ctx) => {
        if (!h.induceGap) return ctx.skip();
        const writer = await open();
        const watcher = await open();
        const service = unique('gap');
        await writer.register(spec(service, 1));
        await writer.register(spec(service, 2));
        const c = new WatchCursor(watcher.watch(service));
        await c.until((x) => x.state.size === 2, timeout(), 'two instances');
        await h.induceGap(watcher, async () => {
          await writer.deregister(service, '10.0.0.1:20880');
          await writer.register(spec(service, 2, { weight: 3 }));
          await writer.register(spec(service, 4));
        });
        await c.until(
          (x) =>
            x.ids().join() === '10.0.0.2:20880,10.0.0.4:20880' && x.state.get('10.0.0.2:20880')?.weight === 3,
          timeout() * 2,
          'state after the gap',
        );
        expect(c.events.some((e) => e.type === 'resync')).toBe(true);
        c.watch.close();
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'fans out to multiple watchers, each ending in the same state',
      async () => {
        const writer = await open();
        const a = await open();
        const service = unique('fan');
        const cursors = [new WatchCursor(a.watch(service)), new WatchCursor(a.watch(service))];
        cursors.push(new WatchCursor(writer.watch(service)));
        for (const c of cursors) await c.until((x) => x.events.length > 0, timeout(), 'snapshot');
        for (let n = 1; n <= 5; n++) await writer.register(spec(service, n));
        await writer.deregister(service, '10.0.0.3:20880');
        const want = ['10.0.0.1:20880', '10.0.0.2:20880', '10.0.0.4:20880', '10.0.0.5:20880'];
        for (const c of cursors)
          await c.until((x) => x.ids().join() === want.join(), timeout(), 'four instances');
        cursors[0]!.watch.close();
        await cursors[0]!.finished;
        await writer.register(spec(service, 6));
        await cursors[1]!.until(
          (x) => x.state.has('10.0.0.6:20880'),
          timeout(),
          'sixth after a sibling closed',
        );
        for (const c of cursors) c.watch.close();
      },
      TEST_TIMEOUT_MS,
    );

    it('close() ends watches, rejects further calls and removes session-bound instances', async () => {
      const r = await open();
      const observer = await open();
      const service = unique('close');
      await r.register(spec(service, 1), { liveness: { kind: 'session' } });
      const mine = new WatchCursor(r.watch(service));
      const theirs = new WatchCursor(observer.watch(service));
      await theirs.until((x) => x.state.size === 1, timeout(), 'one instance');
      await r.close();
      await mine.until((x) => x.ended, timeout(), 'watch end');
      await theirs.until((x) => x.state.size === 0, timeout() * 3, 'session instance removed');
      const err = await r.list(service).catch((e: unknown) => e);
      expect(isRegistryError(err, 'REG_ERR_CLOSED')).toBe(true);
      theirs.watch.close();
    });
  });
}
