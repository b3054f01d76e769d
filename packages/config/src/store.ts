// The in-memory config store the pilot reads. It validates what it is given, keeps the last good version
// of an object whose new version is invalid (as xDS clients keep the last good resource after a NACK),
// remembers the current rejections for /debug/configz, and tells listeners what changed so the pilot can
// decide whether a push matters (Istio's ConfigsUpdated).
import type { ConfigIssue } from './errors.js';
import type { SourceRef } from './kinds/common.js';
import type { ConfigKind, ConfigObject, ConfigOfKind, SourcedConfig } from './kinds/index.js';
import type { RawDocument, Rejection } from './loader/yaml.js';
import { type ConfigRef, type ValidateOptions, validate } from './validation/index.js';

/**
 * What the store takes: a loaded document with its source, or a bare object (typed, or straight from a
 * Kubernetes watch) which is validated the same way and reported with source `<inline>`.
 */
export type ConfigInput = RawDocument | ConfigObject | Record<string, unknown>;

export interface SourcedIssue extends ConfigIssue, ConfigRef {
  source: SourceRef;
}

export interface ConfigChange {
  type: 'added' | 'updated' | 'deleted';
  kind: ConfigKind;
  namespace: string;
  name: string;
  object?: ConfigObject;
  previous?: ConfigObject;
}

export interface ConfigChangeEvent {
  revision: number;
  changes: ConfigChange[];
}

export interface ApplyResult {
  /** Objects that passed validation in this call (changed or not). */
  accepted: SourcedConfig[];
  /** Inputs that did not; the previous version of each (if any) stays in force. */
  rejected: Rejection[];
  /** Warnings of accepted objects. */
  warnings: SourcedIssue[];
  changes: ConfigChange[];
}

export interface SyncOptions {
  /** Load failures that belong to the same snapshot (unparseable files), reported as rejections. */
  failures?: Rejection[];
  /** Files that could not be read: objects last loaded from them are kept, not deleted. */
  retainFiles?: Iterable<string>;
}

export type ConfigListener = (event: ConfigChangeEvent) => void;

interface Entry {
  object: ConfigObject;
  source: SourceRef;
  json: string;
}

export function configKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

const INLINE_SOURCE: SourceRef = { file: '<inline>', index: 0 };

export class ConfigStore {
  readonly #objects = new Map<string, Entry>();
  readonly #rejections = new Map<string, Rejection>();
  readonly #listeners = new Set<ConfigListener>();
  readonly #options: ValidateOptions;
  /** Files the last sync could not read: everything still loaded from them is a last good version. */
  #retainedFiles = new Set<string>();
  #revision = 0;

  constructor(options: ValidateOptions = {}) {
    this.#options = options;
  }

  /** Increments on every change that listeners were told about. */
  get revision(): number {
    return this.#revision;
  }

  get<K extends ConfigKind>(kind: K, namespace: string, name: string): ConfigOfKind<K> | undefined {
    return this.#objects.get(configKey(kind, namespace, name))?.object as ConfigOfKind<K> | undefined;
  }

  /** Objects of one kind (or all), sorted by namespace then name so output is stable. */
  list<K extends ConfigKind>(kind: K, namespace?: string): ConfigOfKind<K>[];
  list(): ConfigObject[];
  list(kind?: ConfigKind, namespace?: string): ConfigObject[] {
    return this.entries(kind, namespace).map((e) => e.object);
  }

  /** Like list, with where each object came from. */
  entries(kind?: ConfigKind, namespace?: string): SourcedConfig[] {
    const out: SourcedConfig[] = [];
    for (const e of this.#objects.values()) {
      if (kind !== undefined && e.object.kind !== kind) continue;
      if (namespace !== undefined && e.object.metadata.namespace !== namespace) continue;
      out.push({ object: e.object, source: e.source });
    }
    return out.sort((a, b) => compareKey(a.object, b.object));
  }

  /** Current rejections (what /debug/configz shows), in source order. */
  rejected(): Rejection[] {
    return [...this.#rejections.values()].sort((a, b) =>
      a.source.file < b.source.file
        ? -1
        : a.source.file > b.source.file
          ? 1
          : a.source.index - b.source.index,
    );
  }

  /** Register a listener; returns the function that removes it. Listener errors do not affect the store. */
  onChange(listener: ConfigListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Add or update objects. Invalid inputs are rejected and leave the stored version alone. Nothing is
   * deleted: use `delete` or `sync` for that.
   */
  apply(inputs: Iterable<ConfigInput>): ApplyResult {
    const batch = this.#validateBatch(inputs);
    for (const r of batch.rejected) this.#rejections.set(rejectionKey(r), r);
    const changes: ConfigChange[] = [];
    for (const c of batch.accepted) {
      this.#rejections.delete(objectKey(c.object));
      const change = this.#put(c);
      if (change) changes.push(change);
    }
    this.#emit(changes);
    return { ...batch, changes };
  }

  /**
   * Make the store hold exactly `inputs` (a full snapshot, e.g. a config directory), except that an object
   * whose new version is rejected, or whose file could not be read, keeps its last good version.
   */
  sync(inputs: Iterable<ConfigInput>, options: SyncOptions = {}): ApplyResult {
    const batch = this.#validateBatch(inputs);
    const failures = options.failures ?? [];
    const retainFiles = new Set(options.retainFiles ?? []);
    this.#retainedFiles = retainFiles;
    const keep = new Set<string>();
    const keepSources = new Set<string>();
    for (const r of [...batch.rejected, ...failures]) {
      if (r.kind !== undefined && r.name !== undefined)
        keep.add(configKey(r.kind, r.namespace ?? 'default', r.name));
      keepSources.add(`${r.source.file}#${r.source.index}`);
    }
    const changes: ConfigChange[] = [];
    const present = new Set<string>();
    for (const c of batch.accepted) {
      present.add(objectKey(c.object));
      const change = this.#put(c);
      if (change) changes.push(change);
    }
    for (const [key, e] of this.#objects) {
      if (present.has(key) || keep.has(key)) continue;
      if (retainFiles.has(e.source.file) || keepSources.has(`${e.source.file}#${e.source.index}`)) continue;
      this.#objects.delete(key);
      changes.push({ type: 'deleted', ...identity(e.object), previous: e.object });
    }
    this.#rejections.clear();
    for (const r of [...failures, ...batch.rejected]) this.#rejections.set(rejectionKey(r), r);
    this.#emit(changes);
    return { ...batch, rejected: [...failures, ...batch.rejected], changes };
  }

  delete(kind: ConfigKind, namespace: string, name: string): boolean {
    const key = configKey(kind, namespace, name);
    this.#rejections.delete(key);
    const e = this.#objects.get(key);
    if (!e) return false;
    this.#objects.delete(key);
    this.#emit([{ type: 'deleted', kind, namespace, name, previous: e.object }]);
    return true;
  }

  /**
   * Objects held at their last good version: their latest input was rejected, or the file they came
   * from could not be read in the last sync. Sorted by kind/namespace/name.
   */
  stale(): ConfigRef[] {
    const keys = new Set<string>();
    for (const r of this.#rejections.values()) {
      if (r.kind === undefined || r.name === undefined) continue;
      const key = configKey(r.kind, r.namespace ?? 'default', r.name);
      if (this.#objects.has(key)) keys.add(key);
    }
    for (const [key, e] of this.#objects) if (this.#retainedFiles.has(e.source.file)) keys.add(key);
    return [...keys].sort().map((key) => {
      const [kind, namespace, name] = key.split('/');
      return { kind, namespace, name };
    });
  }

  #validateBatch(inputs: Iterable<ConfigInput>): Omit<ApplyResult, 'changes'> {
    const accepted: SourcedConfig[] = [];
    const rejected: Rejection[] = [];
    const warnings: SourcedIssue[] = [];
    const seen = new Map<string, SourceRef>();
    for (const input of inputs) {
      const { value, source } = isRawDocument(input) ? input : { value: input, source: INLINE_SOURCE };
      const result = validate(value, this.#options);
      if (!result.ok) {
        rejected.push({ ...result.ref, source, errors: result.errors, warnings: result.warnings });
        continue;
      }
      const key = objectKey(result.object);
      const first = seen.get(key);
      if (first) {
        rejected.push({
          ...result.ref,
          source,
          errors: [
            {
              code: 'CFG_ERR_DUPLICATE_OBJECT',
              severity: 'error',
              path: 'metadata.name',
              message: `${key} is already defined in ${first.file} document ${first.index}`,
            },
          ],
          warnings: result.warnings,
        });
        continue;
      }
      seen.set(key, source);
      accepted.push({ object: result.object, source });
      for (const w of result.warnings) warnings.push({ ...w, ...result.ref, source });
    }
    return { accepted, rejected, warnings };
  }

  #put(c: SourcedConfig): ConfigChange | undefined {
    const key = objectKey(c.object);
    const json = JSON.stringify(c.object);
    const prev = this.#objects.get(key);
    this.#objects.set(key, { object: c.object, source: c.source, json });
    if (!prev) return { type: 'added', ...identity(c.object), object: c.object };
    if (prev.json === json) return undefined;
    return { type: 'updated', ...identity(c.object), object: c.object, previous: prev.object };
  }

  #emit(changes: ConfigChange[]): void {
    if (changes.length === 0) return;
    this.#revision++;
    const event = { revision: this.#revision, changes };
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // A broken listener must not stop others from hearing about the change.
      }
    }
  }
}

function isRawDocument(input: ConfigInput): input is RawDocument {
  return (
    !('apiVersion' in input) && 'source' in input && 'value' in input && typeof input.source === 'object'
  );
}

function identity(o: ConfigObject): { kind: ConfigKind; namespace: string; name: string } {
  return { kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name };
}

function objectKey(o: ConfigObject): string {
  const id = identity(o);
  return configKey(id.kind, id.namespace, id.name);
}

function rejectionKey(r: Rejection): string {
  if (r.kind !== undefined && r.name !== undefined)
    return configKey(r.kind, r.namespace ?? 'default', r.name);
  return `${r.source.file}#${r.source.index}`;
}

function compareKey(a: ConfigObject, b: ConfigObject): number {
  const x = `${a.metadata.namespace ?? ''}/${a.metadata.name}/${a.kind}`;
  const y = `${b.metadata.namespace ?? ''}/${b.metadata.name}/${b.kind}`;
  return x < y ? -1 : x > y ? 1 : 0;
}
