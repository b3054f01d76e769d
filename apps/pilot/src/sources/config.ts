// Config in: @strait/config's directory watcher (level-based, keeps the last good version of what
// became invalid). The pilot keeps the latest accepted set and the rejections for /debug/configz.
import {
  type ConfigObject,
  type ConfigSnapshot,
  type ConfigWatcher,
  type Rejection,
  watchConfigDirectory,
} from '@strait/config';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

export interface RejectedObject {
  readonly file: string;
  readonly index: number;
  readonly object: string;
  readonly field: string;
  readonly code: string;
  readonly reason: string;
}

export interface ConfigState {
  readonly generation: number;
  readonly objects: readonly ConfigObject[];
  readonly files: ReadonlyMap<ConfigObject, string>;
  readonly rejected: readonly RejectedObject[];
  readonly stale: readonly string[];
}

export function rejectionsOf(list: readonly Rejection[]): RejectedObject[] {
  const out: RejectedObject[] = [];
  for (const r of list) {
    const object = [r.kind, r.namespace, r.name].filter((x) => x !== undefined && x !== '').join('/');
    for (const e of r.errors) {
      out.push({
        file: r.source.file,
        index: r.source.index,
        object,
        field: e.path,
        code: e.code,
        reason: e.message,
      });
    }
  }
  return out;
}

export function stateOf(snap: ConfigSnapshot): ConfigState {
  const files = new Map<ConfigObject, string>();
  for (const s of snap.objects) files.set(s.object, s.source.file);
  return {
    generation: snap.generation,
    objects: snap.objects.map((s) => s.object),
    files,
    rejected: rejectionsOf(snap.rejected),
    stale: snap.stale.map((r) => `${r.kind}/${r.namespace}/${r.name}`),
  };
}

export class ConfigSource {
  private watcher: ConfigWatcher | undefined;

  constructor(
    private readonly dir: string,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly onChange: (state: ConfigState) => void,
    private readonly debounceMs = 50,
  ) {}

  async start(): Promise<ConfigState> {
    this.watcher = watchConfigDirectory(this.dir, {
      debounceMs: this.debounceMs,
      onUpdate: (snap) => {
        if (snap.generation === 1) return; // the first snapshot is returned by start()
        this.report(snap);
        this.onChange(stateOf(snap));
      },
    });
    const first = await this.watcher.ready;
    this.report(first);
    return stateOf(first);
  }

  /** Re-reads now (tests). */
  async reload(): Promise<void> {
    await this.watcher?.reload();
  }

  close(): void {
    this.watcher?.close();
  }

  private report(snap: ConfigSnapshot): void {
    for (const c of snap.changes) this.metrics.inc('pilot_k8s_cfg_events', { type: c.kind, event: c.type });
    const rejected = rejectionsOf(snap.rejected);
    this.metrics.set('pilot_total_rejected_configs', rejected.length);
    for (const r of rejected) {
      this.log.warn('config rejected', {
        file: r.file,
        object: r.object,
        field: r.field,
        code: r.code,
        reason: r.reason,
      });
    } // Accepted with a warning: an ignored unsupported field, or a setting that has no effect as
    // written (e.g. locality failover without outlier detection). Said once, when (re)loaded.
    for (const w of snap.warnings) {
      this.log.warn('config warning', {
        file: w.source.file,
        object: `${w.kind}/${w.namespace}/${w.name}`,
        field: w.path,
        code: w.code,
        reason: w.message,
      });
    }
  }
}
