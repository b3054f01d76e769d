// Durability for the embedded registry server: a snapshot file plus a write-ahead log of mutations.
//
// Every mutation is appended and fsynced *synchronously*, inside the store's change listener, before the
// write is acknowledged or pushed to any watcher. That makes "acknowledged ⇒ durable" and "seen by a
// watcher ⇒ durable" hold without any reordering logic, at the price of one fsync per write (registry
// write rates are low; a batching group commit is the next step if they are not).
//
// Each record carries a log sequence number; the snapshot stores the last sequence it includes, so a
// crash between "snapshot renamed into place" and "log truncated" replays nothing twice.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { RegistryError } from '../errors.js';
import { instanceFromJSON } from '../instance.js';
import type { MemoryStore, Mutation, StoreSnapshot } from '../store/memory-store.js';

const SNAPSHOT = 'snapshot.json';
const LOCK = 'LOCK';
const WAL = 'wal.log';

interface WalRecord {
  readonly seq: number;
  readonly m: Mutation;
}

interface SnapshotFile {
  readonly version: 1;
  readonly seq: number;
  readonly store: StoreSnapshot;
}

export interface WalOptions {
  /** Log records after which a snapshot is written and the log truncated. Default 10,000. */
  readonly snapshotEvery?: number;
}

export class Persistence {
  private fd = -1;
  private seq = 0;
  private sinceSnapshot = 0;
  private readonly snapshotEvery: number;

  constructor(
    private readonly dir: string,
    options: WalOptions = {},
  ) {
    this.snapshotEvery = Math.max(1, options.snapshotEvery ?? 10_000);
  }

  /**
   * Loads the snapshot and replays the log into `store` (which must be empty), then compacts, and from
   * then on logs every mutation the store applies. Returns how many log records were replayed.
   */
  open(store: MemoryStore): number {
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    let snapSeq = 0;
    const snapPath = join(this.dir, SNAPSHOT);
    if (existsSync(snapPath)) {
      const snap = this.parse<SnapshotFile>(readFileSync(snapPath, 'utf8'), SNAPSHOT);
      store.loadSnapshot({
        ...snap.store,
        entries: snap.store.entries.map((e) => ({ instance: instanceFromJSON(e.instance), lease: e.lease })),
      });
      snapSeq = snap.seq;
    }
    this.seq = snapSeq;
    let replayed = 0;
    const walPath = join(this.dir, WAL);
    if (existsSync(walPath)) {
      const lines = readFileSync(walPath, 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (line === '') continue;
        let rec: WalRecord;
        try {
          rec = JSON.parse(line) as WalRecord;
        } catch (err) {
          // Only the last line can be torn (a crash mid-append, never acknowledged): drop it.
          if (i >= lines.length - 2) break;
          throw new RegistryError('REG_ERR_STORAGE', `${WAL} line ${i + 1} is corrupt`, { cause: err });
        }
        if (rec.seq <= snapSeq) continue;
        const m = rec.m.op === 'put' ? { ...rec.m, instance: instanceFromJSON(rec.m.instance) } : rec.m;
        store.replay(m);
        this.seq = rec.seq;
        replayed++;
      }
    }
    this.writeSnapshot(store);
    store.onChange((_changes, mutations) => {
      for (const m of mutations) this.append(m);
      if (this.sinceSnapshot >= this.snapshotEvery) this.writeSnapshot(store);
    });
    return replayed;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    try {
      if (readFileSync(join(this.dir, LOCK), 'utf8') === String(process.pid))
        unlinkSync(join(this.dir, LOCK));
    } catch {
      // already gone
    }
  }

  /**
   * One server per data dir: two writers would interleave their logs. The lock holds the owner's pid, so
   * a lock left by a killed server (kill -9) is recognised as stale and taken over.
   */
  private lock(): void {
    const path = join(this.dir, LOCK);
    if (existsSync(path)) {
      const pid = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new RegistryError('REG_ERR_STORAGE', `${this.dir} is in use by process ${pid}`);
      }
    }
    writeFileSync(path, String(process.pid));
  }

  private append(m: Mutation): void {
    const rec: WalRecord = { seq: ++this.seq, m };
    try {
      writeSync(this.fd, `${JSON.stringify(rec)}\n`);
      fsyncSync(this.fd);
    } catch (err) {
      // Fail-stop (as etcd does on WAL errors): memory is already ahead of disk, so serving on would
      // acknowledge writes a restart loses.
      process.stderr.write(`strait-registry: write-ahead log append failed, exiting: ${String(err)}\n`);
      process.exit(70);
    }
    this.sinceSnapshot++;
  }

  /** Snapshot to a temp file, fsync, rename over the old one, fsync the directory, start a fresh log. */
  private writeSnapshot(store: MemoryStore): void {
    const file: SnapshotFile = { version: 1, seq: this.seq, store: store.toSnapshot() };
    const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(file));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, SNAPSHOT));
    this.fsyncDir();
    if (this.fd >= 0) closeSync(this.fd);
    writeFileSync(join(this.dir, WAL), '');
    this.fd = openSync(join(this.dir, WAL), 'a');
    fsyncSync(this.fd);
    this.fsyncDir();
    this.sinceSnapshot = 0;
  }

  private fsyncDir(): void {
    const d = openSync(this.dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  }

  private parse<T>(text: string, what: string): T {
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new RegistryError('REG_ERR_STORAGE', `${what} in ${this.dir} is corrupt`, { cause: err });
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else, which still means the directory is taken.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
