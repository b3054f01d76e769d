import { describe, expect, it } from 'vitest';
import { InProcessRegistry } from '../src/backends/embedded/in-process.js';
import { cellClosure, cellWatch } from '../src/cell.js';
import { normalizeInstance } from '../src/instance.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Health } from '../src/types.js';

const at = (n: number, cell: string, region: string, health: Health = 'healthy') =>
  normalizeInstance({ service: 's', address: `10.0.0.${n}`, port: 1, health, labels: { cell, region } });
const view = (r: ReturnType<typeof cellClosure>) => r.map((p) => `${p.instance.address}@${p.priority}`);

describe('cellClosure', () => {
  const fleet = [at(1, 'a', 'r1'), at(2, 'a', 'r1'), at(3, 'b', 'r1'), at(4, 'x', 'r2')];

  it('keeps a watcher inside its cell while the cell has enough healthy endpoints', () => {
    expect(view(cellClosure(fleet, { cell: 'a', region: 'r1', minHealthy: 2 }))).toEqual([
      '10.0.0.1@0',
      '10.0.0.2@0',
    ]);
  });

  it('fails over to the region at priority 1, then everywhere at priority 2', () => {
    const degraded = [at(1, 'a', 'r1'), at(2, 'a', 'r1', 'unhealthy'), at(3, 'b', 'r1'), at(4, 'x', 'r2')];
    expect(view(cellClosure(degraded, { cell: 'a', region: 'r1', minHealthy: 2 }))).toEqual([
      '10.0.0.1@0',
      '10.0.0.2@0',
      '10.0.0.3@1',
    ]);
    expect(view(cellClosure(degraded, { cell: 'a', region: 'r1', minHealthy: 3 }))).toEqual([
      '10.0.0.1@0',
      '10.0.0.2@0',
      '10.0.0.3@1',
      '10.0.0.4@2',
    ]);
    expect(view(cellClosure(fleet, { cell: 'z', minHealthy: 1 }))).toEqual([
      '10.0.0.1@2',
      '10.0.0.2@2',
      '10.0.0.3@2',
      '10.0.0.4@2',
    ]);
  });

  it('supports a threshold relative to the whole service', () => {
    // 2 of 4 healthy in cell a; a 0.75 fraction needs 3, so the region joins.
    expect(view(cellClosure(fleet, { cell: 'a', region: 'r1', minHealthyFraction: 0.75 }))).toHaveLength(3);
  });
});

describe('cellWatch', () => {
  it('yields the closed view and skips changes invisible to the cell', async () => {
    const store = new MemoryStore();
    const r = new InProcessRegistry(store);
    const reg = (n: number, cell: string, health: Health = 'healthy') =>
      r.register({ service: 's', address: `10.0.0.${n}`, port: 1, health, labels: { cell, region: 'r1' } });
    await reg(1, 'a');
    await reg(2, 'b');
    const it = cellWatch(r.watch('s'), { cell: 'a', region: 'r1' })[Symbol.asyncIterator]();
    expect((await it.next()).value?.endpoints.map((p) => p.instance.id)).toEqual(['10.0.0.1:1']);
    await reg(3, 'b'); // other cell while closed: invisible, not yielded
    await reg(1, 'a', 'unhealthy'); // cell loses its only healthy endpoint: region joins at priority 1
    const next = (await it.next()).value;
    expect(next?.endpoints.map((p) => `${p.instance.id}@${p.priority}`)).toEqual([
      '10.0.0.1:1@0',
      '10.0.0.2:1@1',
      '10.0.0.3:1@1',
    ]);
    await it.return?.(undefined);
    await r.close();
    store.close();
  });
});
