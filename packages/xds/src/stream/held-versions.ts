// What a Delta client holds (name → version), as the server believes. A sidecar subscribed to 10,000
// clusters and 10,000 assignments holds 20,000 versions; a thousand of them would hold 20 million map
// entries, nearly all identical. So the first large response a stream sends is recorded as a shared,
// immutable map (pooled by content, weakly held), and later changes go to a small private overlay
// that is folded back into a private map only when it grows large.
import { changeDigest, type VersionedResource } from './types.js';

const EMPTY: ReadonlyMap<string, string> = new Map();
/** Changes smaller than this are recorded privately: sharing them would not pay for the memo. */
const SHARE_AT = 64;
const MEMO_LIMIT = 64;

// base map → (change key → the map after that change). Streams that start from the same shared map
// and receive the same change end up sharing the result; everything is weakly held.
const transitions = new WeakMap<
  ReadonlyMap<string, string>,
  Map<string, WeakRef<ReadonlyMap<string, string>>>
>();

function transition(
  key: string,
  base: ReadonlyMap<string, string>,
  send: readonly VersionedResource[],
  removed: readonly string[],
): ReadonlyMap<string, string> {
  let memo = transitions.get(base);
  if (!memo) {
    memo = new Map();
    transitions.set(base, memo);
  }
  const found = memo.get(key)?.deref();
  if (found) return found;
  const next = new Map(base);
  for (const name of removed) next.delete(name);
  for (const r of send) next.set(r.name, r.version);
  if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
  memo.set(key, new WeakRef(next));
  return next;
}

export class HeldVersions {
  private base: ReadonlyMap<string, string> = EMPTY;
  /** Differences from `base`: a version, or null for a name of `base` the client no longer holds. */
  private readonly overlay = new Map<string, string | null>();

  constructor(private readonly typeUrl: string) {}

  get(name: string): string | undefined {
    const o = this.overlay.get(name);
    if (o !== undefined) return o ?? undefined;
    return this.base.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  get isEmpty(): boolean {
    return this.base.size === 0 && this.overlay.size === 0;
  }

  set(name: string, version: string): void {
    if (this.base.get(name) === version) this.overlay.delete(name);
    else this.overlay.set(name, version);
    this.compact();
  }

  delete(name: string): void {
    if (this.base.has(name)) this.overlay.set(name, null);
    else this.overlay.delete(name);
    this.compact();
  }

  *keys(): IterableIterator<string> {
    for (const name of this.base.keys()) if (this.overlay.get(name) !== null) yield name;
    for (const [name, v] of this.overlay) if (v !== null && !this.base.has(name)) yield name;
  }

  /**
   * Records a response: `send` is now held at its versions, `removed` is not held. A large change to a
   * client whose state is a shared map yields a shared map again (streams in step stay shared).
   * `change` is the change's `changeDigest`, when the caller has computed it already.
   */
  apply(send: readonly VersionedResource[], removed: readonly string[], change?: string): void {
    if (this.overlay.size === 0 && send.length + removed.length >= SHARE_AT) {
      const key = `${this.typeUrl}|${change ?? changeDigest(send, removed)}`;
      this.base = transition(key, this.base, send, removed);
      return;
    }
    for (const name of removed) this.delete(name);
    for (const r of send) this.set(r.name, r.version);
  }

  /** A private copy (debug output and tests). */
  toMap(): Map<string, string> {
    const out = new Map<string, string>();
    for (const name of this.keys()) out.set(name, this.get(name) as string);
    return out;
  }

  private compact(): void {
    // Once the differences outweigh the sharing, fold them into a private map (amortized: the
    // overlay must grow by a quarter of the base before the next fold).
    if (this.overlay.size <= 1024 || this.overlay.size * 4 < this.base.size) return;
    const merged = this.toMap();
    this.overlay.clear();
    this.base = merged;
  }
}
