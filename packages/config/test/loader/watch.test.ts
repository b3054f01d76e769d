import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigSnapshot, type ConfigWatcher, watchConfigDirectory } from '../../src/index.js';
import { vsYaml } from '../helpers/objects.js';

let dir: string;
let watcher: ConfigWatcher | undefined;
let snapshots: ConfigSnapshot[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strait-watch-'));
  snapshots = [];
});
afterEach(() => {
  watcher?.close();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Write atomically (as editors and ConfigMap updates do) so a reload never sees half a file. */
function write(name: string, text: string): void {
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
}

function start(): ConfigWatcher {
  watcher = watchConfigDirectory(dir, { debounceMs: 20, maxWaitMs: 200, onUpdate: (s) => snapshots.push(s) });
  return watcher;
}

async function until(pred: (s: ConfigSnapshot) => boolean, timeoutMs = 5000): Promise<ConfigSnapshot> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const last = snapshots.at(-1);
    if (last && pred(last)) return last;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no matching snapshot; last: ${JSON.stringify(snapshots.at(-1), null, 1)}`);
}

const names = (s: ConfigSnapshot) => s.objects.map((o) => o.object.metadata.name).sort();
const subsetOf = (s: ConfigSnapshot, name: string) => {
  const o = s.objects.find((x) => x.object.metadata.name === name)?.object;
  return o?.kind === 'VirtualService' ? o.spec.http?.[0]?.route?.[0]?.destination.subset : undefined;
};

describe('watchConfigDirectory', () => {
  it('emits the initial set, then changes, additions and deletions', async () => {
    write('a.yaml', vsYaml('a'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub/b.yml'), vsYaml('b'));
    const first = await start().ready;
    expect(first.generation).toBe(1);
    expect(names(first)).toEqual(['a', 'b']);
    expect(first.objects.find((o) => o.object.metadata.name === 'b')?.source).toEqual({
      file: 'sub/b.yml',
      index: 0,
      line: 1,
    });

    write('a.yaml', vsYaml('a', 'v2'));
    await until((s) => subsetOf(s, 'a') === 'v2');
    write('c.yaml', vsYaml('c'));
    await until((s) => names(s).includes('c'));
    unlinkSync(join(dir, 'sub/b.yml'));
    const last = await until((s) => !names(s).includes('b'));
    expect(names(last)).toEqual(['a', 'c']);
    expect(last.changes.map((c) => `${c.type} ${c.name}`)).toEqual(['deleted b']);
  });

  it('sees every change to a file that editors keep replacing by rename, without waiting for resync', async () => {
    write('a.yaml', vsYaml('a', 'v1'));
    watcher = watchConfigDirectory(dir, {
      debounceMs: 20,
      maxWaitMs: 200,
      resyncMs: 0,
      onUpdate: (s) => snapshots.push(s),
    });
    await watcher.ready;
    for (const subset of ['v2', 'v3', 'v4', 'v5']) {
      write('a.yaml', vsYaml('a', subset));
      await until((s) => subsetOf(s, 'a') === subset, 3000);
    }
  });

  it('keeps the last good version of an object whose new version is invalid, others unaffected', async () => {
    write('a.yaml', vsYaml('a'));
    write('b.yaml', vsYaml('b'));
    await start().ready;
    write('a.yaml', vsYaml('a', 'INVALID_SUBSET'));
    write('b.yaml', vsYaml('b', 'v2'));
    const s = await until((x) => subsetOf(x, 'b') === 'v2' && x.rejected.length > 0);
    expect(subsetOf(s, 'a')).toBe('v1');
    expect(s.stale).toEqual([{ kind: 'VirtualService', namespace: 'default', name: 'a' }]);
    expect(s.rejected).toEqual([
      expect.objectContaining({
        source: { file: 'a.yaml', index: 0, line: 1 },
        kind: 'VirtualService',
        name: 'a',
        errors: [
          expect.objectContaining({
            code: 'CFG_ERR_INVALID_SUBSET_NAME',
            path: 'spec.http[0].route[0].destination.subset',
          }),
        ],
      }),
    ]);
    expect(watcher?.store.rejected()).toEqual(s.rejected);
  });

  it('keeps every object of a file that no longer parses', async () => {
    write('ab.yaml', `${vsYaml('a')}---\n${vsYaml('b')}`);
    await start().ready;
    write('ab.yaml', 'apiVersion: [broken\n');
    const s = await until((x) => x.rejected.length > 0);
    expect(names(s)).toEqual(['a', 'b']);
    expect(s.rejected[0]?.errors[0]?.code).toBe('CFG_ERR_YAML_PARSE');
  });

  it('coalesces a burst of writes into few reloads', async () => {
    await start().ready;
    for (let i = 0; i < 20; i++) write(`f${i}.yaml`, vsYaml(`f${i}`));
    await until((s) => s.objects.length === 20);
    // 1 initial + bounded by maxWait windows, far fewer than one reload per write.
    expect(snapshots.length).toBeLessThan(8);
  });

  it('keeps everything when the directory disappears', async () => {
    write('a.yaml', vsYaml('a'));
    const w = start();
    await w.ready;
    rmSync(dir, { recursive: true, force: true });
    const s = await w.reload();
    expect(names(s)).toEqual(['a']);
    expect(s.rejected[0]?.errors[0]?.code).toBe('CFG_ERR_FILE_READ');
  });

  it('watches again once a removed directory is back', async () => {
    write('a.yaml', vsYaml('a'));
    const w = start();
    await w.ready;
    rmSync(dir, { recursive: true, force: true });
    await w.reload();
    mkdirSync(dir);
    write('b.yaml', vsYaml('b'));
    expect(names(await w.reload())).toEqual(['b']);
    write('c.yaml', vsYaml('c'));
    expect(names(await until((s) => names(s).includes('c')))).toEqual(['b', 'c']);
  });

  it('resyncs periodically even without fs events', async () => {
    watcher = watchConfigDirectory(dir, { debounceMs: 20, resyncMs: 50, onUpdate: (s) => snapshots.push(s) });
    await watcher.ready;
    await until((s) => s.generation >= 3);
  });
});
