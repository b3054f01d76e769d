// A promise face over node-zookeeper-client (pure JavaScript, no native build) plus session lifecycle.
//
// ZooKeeper distinguishes two failures and so do we:
// - connection loss: the client reconnects by itself with the SAME session; ephemeral nodes and watches
//   survive (the library re-sends its watches with SetWatches, so changes made meanwhile still fire).
// - session expiry: the server has deleted our ephemeral nodes and forgotten our watches. The library's
//   client is dead after that, so ZkConnection replaces it with a fresh one and emits `session`; the
//   owner must re-create ephemerals and re-read everything it watches (a resync).
import { EventEmitter } from 'node:events';
import zookeeper from 'node-zookeeper-client';
import { RegistryError } from '../../errors.js';

/** ZooKeeper error codes we branch on (KeeperException.Code). */
export const ZK_NO_NODE = -101;
export const ZK_NODE_EXISTS = -110;
export const ZK_BAD_VERSION = -103;
export const ZK_NOT_EMPTY = -111;
export const ZK_CONNECTION_LOSS = -4;
export const ZK_SESSION_EXPIRED = -112;

export function zkCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/** The subset of a ZooKeeper Stat we use (zxids as JavaScript numbers: exact below 2^53). */
export interface NodeStat {
  readonly czxid: number;
  readonly mzxid: number;
  readonly pzxid: number;
  readonly version: number;
  readonly cversion: number;
  readonly ephemeralOwner: string;
  readonly numChildren: number;
}

function toStat(s: zookeeper.Stat): NodeStat {
  return {
    czxid: Number(s.czxid.readBigInt64BE(0)),
    mzxid: Number(s.mzxid.readBigInt64BE(0)),
    pzxid: Number(s.pzxid.readBigInt64BE(0)),
    version: s.version,
    cversion: s.cversion,
    ephemeralOwner: s.ephemeralOwner.toString('hex'),
    numChildren: s.numChildren,
  };
}

export type Watcher = (event: zookeeper.Event) => void;

export interface ZkConnectionOptions {
  readonly connectString: string;
  readonly sessionTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Per-call bound; a call pending longer (server gone) rejects with REG_ERR_TIMEOUT. */
  readonly opTimeoutMs: number;
}

export interface ZkConnectionEvents {
  /** The connection dropped (same session, may come back). */
  disconnected: [];
  /** A reconnect attempt made no progress and its socket was reset (see the watchdog below). */
  stalled: [];
  /** Reconnected within the same session. */
  reconnected: [];
  /** The session expired and a new one is now connected: ephemerals and watches must be re-created. */
  session: [];
}

/** One logical connection that outlives expired sessions by replacing the underlying client. */
export class ZkConnection extends EventEmitter<ZkConnectionEvents> {
  private client: zookeeper.Client;
  private closed = false;
  private connectedOnce = false;
  private connected = false;
  private watchdog: NodeJS.Timeout | undefined;
  /** Calls awaiting an answer, per client, so an expired client's calls can be failed at once. */
  private readonly inFlight = new Map<zookeeper.Client, Set<() => void>>();
  /** Set between an expiry and the replacement session's first connect. */
  private renewing = false;

  private constructor(private readonly options: ZkConnectionOptions) {
    super();
    this.client = this.newClient();
  }

  /** Connects, bounded by connectTimeoutMs; rejects with REG_ERR_UNAVAILABLE. */
  static async open(options: ZkConnectionOptions): Promise<ZkConnection> {
    const conn = new ZkConnection(options);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.client.removeListener('connected', onConnected);
        conn.close();
        reject(
          new RegistryError(
            'REG_ERR_UNAVAILABLE',
            `ZooKeeper ${options.connectString} not reachable within ${options.connectTimeoutMs} ms`,
          ),
        );
      }, options.connectTimeoutMs);
      const onConnected = (): void => {
        clearTimeout(timer);
        resolve();
      };
      conn.client.once('connected', onConnected);
      conn.client.connect();
    });
    return conn;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Session id (hex) of the current session. */
  get sessionId(): string {
    return this.client.getSessionId().toString('hex');
  }

  private newClient(): zookeeper.Client {
    const client = zookeeper.createClient(this.options.connectString, {
      sessionTimeout: this.options.sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    client.on('state', (state: zookeeper.State) => {
      if (client !== this.client || this.closed) return;
      if (state === zookeeper.State.SYNC_CONNECTED) {
        this.stopWatchdog();
        this.connected = true;
        if (this.renewing) {
          this.renewing = false;
          this.emit('session');
        } else if (this.connectedOnce) this.emit('reconnected');
        this.connectedOnce = true;
      } else if (state === zookeeper.State.DISCONNECTED) {
        this.connected = false;
        this.startWatchdog();
        this.emit('disconnected');
      } else if (state === zookeeper.State.EXPIRED) {
        this.connected = false;
        this.renewSession(client);
      }
    });
    return client;
  }

  /**
   * node-zookeeper-client stops its connect timer once TCP connects, then waits for the server's
   * ConnectResponse with no bound. A ZooKeeper that is still starting (it accepts before its database
   * is loaded, and can fail to close such early connections) leaves the client waiting forever. So while
   * disconnected we reset any attempt that has made no progress for a third of the session timeout;
   * the library then tries again.
   */
  private startWatchdog(): void {
    if (this.watchdog || this.closed) return;
    const every = Math.max(1000, Math.floor(this.options.sessionTimeoutMs / 3));
    this.watchdog = setInterval(() => {
      if (this.connected || this.closed) return this.stopWatchdog();
      const manager = (this.client as unknown as { connectionManager?: { socket?: { destroy(): void } } })
        .connectionManager;
      manager?.socket?.destroy();
      this.emit('stalled');
    }, every);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private renewSession(dead: zookeeper.Client): void {
    // The library never answers requests still queued on an expired client: fail them now (callers
    // see REG_ERR_UNAVAILABLE and may retry on the new session) instead of at their timeout.
    const stranded = this.inFlight.get(dead);
    this.inFlight.delete(dead);
    for (const fail of stranded ?? []) fail();
    dead.close();
    const next = this.newClient();
    this.client = next;
    this.renewing = true;
    next.connect();
  }

  /** Wraps a callback call with the per-operation bound. */
  private call<T>(
    what: string,
    fn: (client: zookeeper.Client, done: (err: unknown, v?: T) => void) => void,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new RegistryError('REG_ERR_CLOSED', what));
    const client = this.client;
    return new Promise<T>((resolve, reject) => {
      let calls = this.inFlight.get(client);
      if (!calls) {
        calls = new Set();
        this.inFlight.set(client, calls);
      }
      const pending = calls;
      const settle = (): void => {
        clearTimeout(timer);
        pending.delete(fail);
      };
      const fail = (): void => {
        settle();
        reject(new RegistryError('REG_ERR_UNAVAILABLE', `${what}: session expired`));
      };
      pending.add(fail);
      const timer = setTimeout(() => {
        pending.delete(fail);
        reject(new RegistryError('REG_ERR_TIMEOUT', `${what} after ${this.options.opTimeoutMs} ms`));
      }, this.options.opTimeoutMs);
      fn(client, (err, v) => {
        settle();
        if (err) reject(err);
        else resolve(v as T);
      });
    });
  }

  /** Children + stat, or undefined when the node does not exist. */
  async getChildren(
    path: string,
    watcher?: Watcher,
  ): Promise<{ children: string[]; stat: NodeStat } | undefined> {
    try {
      return await this.call(`getChildren ${path}`, (c, done) => {
        const cb = (e: unknown, children: string[], stat: zookeeper.Stat): void =>
          e ? done(e) : done(null, { children, stat: toStat(stat) });
        if (watcher) c.getChildren(path, watcher, cb);
        else c.getChildren(path, cb);
      });
    } catch (err) {
      if (zkCode(err) === ZK_NO_NODE) return undefined;
      throw err;
    }
  }

  async getData(
    path: string,
    watcher?: Watcher,
  ): Promise<{ data: Buffer | undefined; stat: NodeStat } | undefined> {
    try {
      return await this.call(`getData ${path}`, (c, done) => {
        const cb = (e: unknown, data: Buffer | null, stat: zookeeper.Stat): void =>
          e ? done(e) : done(null, { data: data ?? undefined, stat: toStat(stat) });
        if (watcher) c.getData(path, watcher, cb);
        else c.getData(path, cb);
      });
    } catch (err) {
      if (zkCode(err) === ZK_NO_NODE) return undefined;
      throw err;
    }
  }

  async exists(path: string, watcher?: Watcher): Promise<NodeStat | undefined> {
    return this.call(`exists ${path}`, (c, done) => {
      const cb = (e: unknown, stat: zookeeper.Stat | null): void =>
        e ? done(e) : done(null, stat ? toStat(stat) : undefined);
      if (watcher) c.exists(path, watcher, cb);
      else c.exists(path, cb);
    });
  }

  /** Creates persistent parents as needed (tolerates races with other creators). */
  async mkdirp(path: string): Promise<void> {
    await this.call<void>(`mkdirp ${path}`, (c, done) => c.mkdirp(path, (e: unknown) => done(e)));
  }

  async create(path: string, data: Buffer, mode: 'ephemeral' | 'persistent'): Promise<void> {
    const m = mode === 'ephemeral' ? zookeeper.CreateMode.EPHEMERAL : zookeeper.CreateMode.PERSISTENT;
    await this.call<void>(`create ${path}`, (c, done) => c.create(path, data, m, (e: unknown) => done(e)));
  }

  /** Removes a node; false when it was already gone. */
  async remove(path: string, version = -1): Promise<boolean> {
    try {
      await this.call<void>(`remove ${path}`, (c, done) => c.remove(path, version, (e: unknown) => done(e)));
      return true;
    } catch (err) {
      if (zkCode(err) === ZK_NO_NODE) return false;
      throw err;
    }
  }

  async setData(path: string, data: Buffer, version: number): Promise<NodeStat> {
    return this.call(`setData ${path}`, (c, done) =>
      c.setData(path, data, version, (e: unknown, stat: zookeeper.Stat) =>
        e ? done(e) : done(null, toStat(stat)),
      ),
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    this.stopWatchdog();
    this.client.close();
  }
}

/** Maps a ZooKeeper/library error onto the registry's codes (RegistryErrors pass through). */
export function toRegistryError(err: unknown, what: string): RegistryError {
  if (err instanceof RegistryError) return err;
  const code = zkCode(err);
  const detail = `${what}: ${(err as Error)?.message ?? String(err)}`;
  if (code === ZK_CONNECTION_LOSS || code === ZK_SESSION_EXPIRED) {
    return new RegistryError('REG_ERR_UNAVAILABLE', detail, { cause: err });
  }
  return new RegistryError('REG_ERR_PROTOCOL', detail, { cause: err });
}
