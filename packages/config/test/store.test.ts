import { describe, expect, it } from 'vitest';
import { type ConfigChangeEvent, ConfigStore } from '../src/index.js';
import { dr, vs } from './helpers/objects.js';

const src = (file: string, index = 0) => ({ file, index });

describe('ConfigStore', () => {
  it('accepts valid objects and lists them by kind, sorted', () => {
    const store = new ConfigStore();
    const result = store.apply([vs('b'), vs('a'), dr('a')]);
    expect(result.accepted).toHaveLength(3);
    expect(result.rejected).toEqual([]);
    expect(store.list('VirtualService').map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(store.list('DestinationRule')).toHaveLength(1);
    expect(store.list()).toHaveLength(3);
    expect(store.get('VirtualService', 'default', 'a')?.spec.hosts).toEqual(['a']);
    expect(store.get('VirtualService', 'other', 'a')).toBeUndefined();
  });

  it('rejects invalid inputs with source, kind, name and all errors', () => {
    const store = new ConfigStore();
    const bad = vs('a', 'V1', { exportTo: ['Bad!'] });
    const result = store.apply([{ value: bad, source: src('a.yaml', 3) }]);
    expect(result.accepted).toEqual([]);
    expect(result.rejected).toEqual([
      expect.objectContaining({
        source: src('a.yaml', 3),
        kind: 'VirtualService',
        namespace: 'default',
        name: 'a',
        errors: [
          expect.objectContaining({ code: 'CFG_ERR_INVALID_SUBSET_NAME' }),
          expect.objectContaining({ code: 'CFG_ERR_INVALID_EXPORT_TO' }),
        ],
      }),
    ]);
    expect(store.rejected()).toEqual(result.rejected);
  });

  it('keeps the last good version when a new version is invalid, and leaves other objects alone', () => {
    const store = new ConfigStore();
    store.apply([vs('a', 'v1'), vs('b', 'v1')]);
    store.apply([vs('a', 'NOT_VALID'), vs('b', 'v2')]);
    const a = store.get('VirtualService', 'default', 'a');
    expect(a?.spec.http?.[0]?.route?.[0]?.destination.subset).toBe('v1');
    expect(store.get('VirtualService', 'default', 'b')?.spec.http?.[0]?.route?.[0]?.destination.subset).toBe(
      'v2',
    );
    expect(store.stale()).toEqual([{ kind: 'VirtualService', namespace: 'default', name: 'a' }]);
    // Fixing it clears the rejection.
    store.apply([vs('a', 'v3')]);
    expect(store.rejected()).toEqual([]);
    expect(store.stale()).toEqual([]);
  });

  it('tells listeners what changed, and nothing when nothing changed', () => {
    const store = new ConfigStore();
    const events: ConfigChangeEvent[] = [];
    const off = store.onChange((e) => events.push(e));
    store.onChange(() => {
      throw new Error('a broken listener');
    });
    store.apply([vs('a')]);
    store.apply([vs('a')]);
    store.apply([vs('a', 'v2')]);
    store.delete('VirtualService', 'default', 'a');
    expect(events.map((e) => [e.revision, e.changes.map((c) => `${c.type} ${c.kind}/${c.name}`)])).toEqual([
      [1, ['added VirtualService/a']],
      [2, ['updated VirtualService/a']],
      [3, ['deleted VirtualService/a']],
    ]);
    expect(events[1]?.changes[0]?.previous).toBeDefined();
    off();
    store.apply([vs('b')]);
    expect(events).toHaveLength(3);
    expect(store.revision).toBe(4);
  });

  it('rejects a second definition of the same object in one batch', () => {
    const store = new ConfigStore();
    const result = store.apply([
      { value: vs('a', 'v1'), source: src('1.yaml') },
      { value: vs('a', 'v2'), source: src('2.yaml') },
    ]);
    expect(result.accepted).toHaveLength(1);
    expect(result.rejected[0]?.errors[0]).toMatchObject({
      code: 'CFG_ERR_DUPLICATE_OBJECT',
      path: 'metadata.name',
      message: 'VirtualService/default/a is already defined in 1.yaml document 0',
    });
    expect(store.get('VirtualService', 'default', 'a')?.spec.http?.[0]?.route?.[0]?.destination.subset).toBe(
      'v1',
    );
  });

  describe('sync', () => {
    it('deletes objects absent from the snapshot', () => {
      const store = new ConfigStore();
      store.sync([
        { value: vs('a'), source: src('a.yaml') },
        { value: vs('b'), source: src('b.yaml') },
      ]);
      const result = store.sync([{ value: vs('a'), source: src('a.yaml') }]);
      expect(result.changes.map((c) => `${c.type} ${c.name}`)).toEqual(['deleted b']);
      expect(store.list('VirtualService').map((o) => o.metadata.name)).toEqual(['a']);
    });

    it('keeps the last good version of an object whose new version is invalid', () => {
      const store = new ConfigStore();
      store.sync([{ value: vs('a'), source: src('a.yaml') }]);
      const result = store.sync([{ value: vs('a', 'BAD'), source: src('a.yaml') }]);
      expect(result.changes).toEqual([]);
      expect(store.get('VirtualService', 'default', 'a')).toBeDefined();
      expect(store.rejected().map((r) => r.name)).toEqual(['a']);
    });

    it('keeps objects from files that could not be read, and reports the failures', () => {
      const store = new ConfigStore();
      store.sync([
        { value: vs('a'), source: src('a.yaml') },
        { value: vs('b'), source: src('b.yaml') },
      ]);
      const failure = {
        source: { file: 'b.yaml', index: 0 },
        errors: [
          { code: 'CFG_ERR_YAML_PARSE' as const, severity: 'error' as const, path: '', message: 'line 1' },
        ],
        warnings: [],
      };
      store.sync([{ value: vs('a'), source: src('a.yaml') }], {
        failures: [failure],
        retainFiles: ['b.yaml'],
      });
      expect(store.list('VirtualService')).toHaveLength(2);
      expect(store.rejected()).toEqual([failure]);
      expect(store.stale()).toEqual([{ kind: 'VirtualService', namespace: 'default', name: 'b' }]);
    });

    it("replaces the rejection list with the snapshot's", () => {
      const store = new ConfigStore();
      store.sync([{ value: vs('a', 'BAD'), source: src('a.yaml') }]);
      expect(store.rejected()).toHaveLength(1);
      store.sync([{ value: vs('a'), source: src('a.yaml') }]);
      expect(store.rejected()).toEqual([]);
    });
  });
});
