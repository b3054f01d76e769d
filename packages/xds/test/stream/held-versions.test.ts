// HeldVersions against a plain Map: whatever sharing it does, it must read back exactly like the map
// a naive server would keep.
import { describe, expect, it } from 'vitest';
import { HeldVersions } from '../../src/stream/held-versions.js';
import type { VersionedResource } from '../../src/stream/index.js';
import { EDS } from './helpers.js';

const res = (name: string, version: string): VersionedResource => ({
  name,
  version,
  resource: { type_url: EDS, value: new Uint8Array() },
});

function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
}

describe('HeldVersions', () => {
  it('reads back like a plain map through random responses, small and large', () => {
    const rnd = seeded(7);
    const held = new HeldVersions(EDS);
    const model = new Map<string, string>();
    for (let step = 0; step < 300; step++) {
      const large = rnd() < 0.2;
      const n = large ? 50 + Math.floor(rnd() * 200) : Math.floor(rnd() * 5);
      const send: VersionedResource[] = [];
      const removed: string[] = [];
      const used = new Set<string>();
      for (let i = 0; i < n; i++) {
        const name = `c${Math.floor(rnd() * 400)}`;
        if (used.has(name)) continue;
        used.add(name);
        if (rnd() < 0.2) removed.push(name);
        else send.push(res(name, `v${Math.floor(rnd() * 3)}`));
      }
      held.apply(send, removed);
      for (const name of removed) model.delete(name);
      for (const r of send) model.set(r.name, r.version);
      if (rnd() < 0.1) {
        const name = `c${Math.floor(rnd() * 400)}`;
        held.delete(name);
        model.delete(name);
      }
    }
    expect(held.toMap()).toEqual(model);
    for (const [name, version] of model) expect(held.get(name)).toBe(version);
    expect([...held.keys()].sort()).toEqual([...model.keys()].sort());
  });

  it('streams in step share state, and one stream diverging does not disturb the other', () => {
    const initial = Array.from({ length: 100 }, (_, i) => res(`c${i}`, 'v1'));
    const a = new HeldVersions(EDS);
    const b = new HeldVersions(EDS);
    a.apply(initial, []);
    b.apply(
      initial.map((r) => ({ ...r })),
      [],
    );
    // Same content from equal starting points: one shared map, observable as equal reads after b diverges.
    b.apply([res('c1', 'v2')], ['c2']);
    expect(a.get('c1')).toBe('v1');
    expect(a.get('c2')).toBe('v1');
    expect(b.get('c1')).toBe('v2');
    expect(b.has('c2')).toBe(false);
    expect(a.toMap().size).toBe(100);
    expect(b.toMap().size).toBe(99);
  });
});
