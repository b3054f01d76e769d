import { describe, expect, it } from 'vitest';
import { normalizeInstance } from '../../src/instance.js';
import { Metrics } from '../../src/metrics.js';
import type { Instance } from '../../src/types.js';
import { WatchChannel } from '../../src/watch/channel.js';

const inst = (n: number, weight = 100) =>
  normalizeInstance({ service: 's', address: `10.0.0.${n}`, port: 1, weight });

function channel(max: number, coalesce = true) {
  const metrics = new Metrics();
  const state = new Map<string, Instance>();
  let revision = 0;
  const ch = new WatchChannel(
    's',
    { maxBufferedEvents: max, coalesce },
    metrics,
    () => ({ revision, instances: [...state.values()] }),
    () => {},
  );
  const put = (i: Instance) => {
    const added = !state.has(i.id);
    state.set(i.id, i);
    revision++;
    ch.pushDelta({ revision, added: added ? [i] : [], updated: added ? [] : [i], removed: [] });
  };
  const del = (id: string) => {
    state.delete(id);
    revision++;
    ch.pushDelta({ revision, added: [], updated: [], removed: [id] });
  };
  return { ch, metrics, put, del, it: ch[Symbol.asyncIterator]() };
}

describe('WatchChannel', () => {
  it('delivers a lazy snapshot first, then coalesces a burst into one net delta', async () => {
    const { ch, metrics, put, del, it } = channel(100);
    ch.pushInitial();
    put(inst(1)); // folded into the snapshot, which is taken when first pulled
    expect((await it.next()).value).toMatchObject({ type: 'snapshot', revision: 1 });
    put(inst(2));
    put(inst(2, 5));
    put(inst(3));
    del('10.0.0.3:1');
    del('10.0.0.1:1');
    const d = (await it.next()).value;
    expect(d).toMatchObject({ type: 'delta', revision: 6, updated: [], removed: ['10.0.0.1:1'] });
    expect(d?.type === 'delta' && d.added.map((i) => i.weight)).toEqual([5]);
    expect(metrics.get('watch_deltas_coalesced')).toBe(4);
    expect(metrics.get('watch_events_delivered')).toBe(2);
  });

  it('replaces a backlog with one resync when a slow watcher exceeds its bound', async () => {
    const { ch, metrics, put, it } = channel(3, false);
    ch.pushInitial();
    await it.next();
    for (let n = 1; n <= 10; n++) put(inst(n));
    const ev = (await it.next()).value;
    expect(ev).toMatchObject({ type: 'resync', reason: 'overflow', revision: 10 });
    expect(ev?.type === 'resync' && ev.instances.length).toBe(10);
    expect(metrics.snapshot()).toMatchObject({ watch_overflow_resyncs: 1, watch_resyncs: 1 });
    put(inst(11));
    expect((await it.next()).value).toMatchObject({ type: 'delta', revision: 11 });
  });

  it('still delivers a snapshot first when overflowing before the first pull', async () => {
    const { ch, put, it } = channel(2);
    ch.pushInitial();
    for (let n = 1; n <= 5; n++) put(inst(n));
    expect((await it.next()).value).toMatchObject({ type: 'snapshot', revision: 5 });
  });

  it('ends iteration on close and counts active watchers', async () => {
    const { ch, metrics, it } = channel(2);
    expect(metrics.get('watchers_active')).toBe(1);
    const pending = it.next();
    ch.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(metrics.get('watchers_active')).toBe(0);
  });
});
