// Watches a config directory and keeps a ConfigStore in sync with it. Level-based: every (debounced)
// change re-reads the whole directory rather than trusting individual fs events, which are lossy and
// platform-dependent; the store's sync keeps the last good version of anything that became invalid.
import { type FSWatcher, watch } from 'node:fs';
import type { SourcedConfig } from '../kinds/index.js';
import { type ApplyResult, type ConfigChange, ConfigStore, type SourcedIssue } from '../store.js';
import type { ConfigRef, ValidateOptions } from '../validation/index.js';
import { type ReadOptions, readConfigDirectory } from './directory.js';
import type { Rejection } from './yaml.js';

export interface WatchOptions extends ReadOptions, ValidateOptions {
  /** Quiet time after the last event before reloading. Default 100 ms. */
  debounceMs?: number;
  /** Upper bound on how long continuous events can postpone a reload. Default 1000 ms. */
  maxWaitMs?: number;
  /**
   * Reload this often even without events (fs events can be lost, e.g. on network file systems or when
   * the directory is replaced). 0 disables. Default 30 000 ms.
   */
  resyncMs?: number;
  /** Store to keep in sync (the pilot's); a private one is created otherwise. */
  store?: ConfigStore;
  /** Called after every reload, including the first. */
  onUpdate?: (snapshot: ConfigSnapshot) => void;
}

export interface ConfigSnapshot {
  /** Monotonic count of reloads. */
  generation: number;
  /** Every object in force: valid current versions, and last good versions of rejected ones. */
  objects: SourcedConfig[];
  /** Everything that failed in this reload (files, documents). */
  rejected: Rejection[];
  warnings: SourcedIssue[];
  /** Objects kept at their last good version because their current version was rejected. */
  stale: ConfigRef[];
  /** What changed in the store with this reload. */
  changes: ConfigChange[];
}

export interface ConfigWatcher {
  readonly store: ConfigStore;
  /** Resolves with the first snapshot. */
  readonly ready: Promise<ConfigSnapshot>;
  /** The latest snapshot (undefined until ready). */
  current(): ConfigSnapshot | undefined;
  /** Reload now, bypassing the debounce; resolves when done. */
  reload(): Promise<ConfigSnapshot>;
  close(): void;
}

export function watchConfigDirectory(dir: string, options: WatchOptions = {}): ConfigWatcher {
  const store = options.store ?? new ConfigStore(options);
  const debounceMs = options.debounceMs ?? 100;
  const maxWaitMs = options.maxWaitMs ?? 1000;
  let generation = 0;
  let latest: ConfigSnapshot | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let firstEventAt: number | undefined;
  // Reloads are serialized and coalesced: at most one running and one queued; the queued one reads the
  // directory when it starts, so it sees every change made before then.
  let chain: Promise<unknown> = Promise.resolve();
  let queued: Promise<ConfigSnapshot> | undefined;

  const reloadOnce = async (): Promise<ConfigSnapshot> => {
    // Node's recursive watch on Linux loses a file once it is replaced by a rename (how editors and
    // ConfigMap updates write), so the watch is re-armed before every read: whatever changes after this
    // point fires the new watch, and whatever changed before it is in the read below.
    if (!closed) {
      watcher?.close();
      watcher = undefined;
      startWatching();
    }
    const read = await readConfigDirectory(dir, options);
    let result: ApplyResult;
    if (!read.complete) {
      // An inotify watch on a removed directory never fires again: drop it; the next reload re-arms it.
      watcher?.close();
      watcher = undefined;
    }
    if (read.complete) {
      result = store.sync(read.documents, { failures: read.failures, retainFiles: read.unreadable });
    } else {
      // The directory vanished or is unreadable: keep everything, report why.
      result = { accepted: [], rejected: read.failures, warnings: [], changes: [] };
    }
    generation++;
    latest = {
      generation,
      objects: store.entries(),
      rejected: result.rejected,
      warnings: result.warnings,
      stale: store.stale(),
      changes: result.changes,
    };
    if (!closed) {
      try {
        options.onUpdate?.(latest);
      } catch {
        // The callback's failure is the caller's; the watcher keeps running.
      }
    }
    return latest;
  };

  const reload = (): Promise<ConfigSnapshot> => {
    if (queued) return queued;
    const next = chain.then(() => {
      queued = undefined;
      return reloadOnce();
    });
    queued = next;
    chain = next.catch(() => undefined);
    return next;
  };

  const schedule = () => {
    if (closed) return;
    const now = Date.now();
    firstEventAt ??= now;
    if (timer) clearTimeout(timer);
    const wait = Math.max(0, Math.min(debounceMs, firstEventAt + maxWaitMs - now));
    timer = setTimeout(() => {
      timer = undefined;
      firstEventAt = undefined;
      void reload();
    }, wait);
  };

  let watcher: FSWatcher | undefined;
  function startWatching(): void {
    try {
      watcher = watch(dir, { recursive: true }, schedule);
      watcher.on('error', () => {
        // The directory was removed or the watch broke: reload (which reports CFG_ERR_FILE_READ and keeps
        // the last good set) and try to watch again on the next reload.
        watcher?.close();
        watcher = undefined;
        schedule();
      });
    } catch {
      watcher = undefined;
    }
  }
  const resyncMs = options.resyncMs ?? 30_000;
  const resync = resyncMs > 0 ? setInterval(() => void reload(), resyncMs) : undefined;
  // Periodic resync must not keep a process alive on its own.
  resync?.unref();

  const ready = reload().then((snap) => {
    if (!watcher && !closed) {
      snap.rejected.push({
        source: { file: dir, index: -1 },
        errors: [
          {
            code: 'CFG_ERR_WATCH',
            severity: 'error',
            path: '',
            message: `cannot watch ${dir}; changes will not be seen`,
          },
        ],
        warnings: [],
      });
    }
    return snap;
  });

  return {
    store,
    ready,
    current: () => latest,
    reload,
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      if (resync) clearInterval(resync);
      watcher?.close();
    },
  };
}
