// The ZooKeeper backend of the Registry interface, over Dubbo's real layouts (see layout.ts).
//
// Liveness is ZooKeeper's own: every registration is an EPHEMERAL node, so it lives exactly as long as
// this client's session (a `ttl` request is served the same way; the session timeout is the TTL). When
// the server expires the session, ZkConnection opens a new one and this class re-creates every held
// registration (as Dubbo's FailbackRegistry does on recovery) and hands each watcher a `resync`.
import { RegistryError } from '../../errors.js';
import { normalizeInstance } from '../../instance.js';
import type {
  Instance,
  InstanceSpec,
  RegisterOptions,
  Registration,
  Registry,
  Watch,
  WatchOptions,
} from '../../types.js';
import { WatchChannel } from '../../watch/channel.js';
import { addToMapping, parseMapping } from './application-layout.js';
import {
  toRegistryError,
  ZK_BAD_VERSION,
  ZK_NO_NODE,
  ZK_NODE_EXISTS,
  ZkConnection,
  zkCode,
} from './client.js';
import type { ZooKeeperOptions } from './config.js';
import { type LayoutCodec, layoutCodec } from './layout.js';
import { MappingIndex } from './mapping-index.js';
import { byId, type Enricher, readChildren, ServiceView, sortById } from './service-view.js';
import { ZkMetrics } from './stats.js';

interface Held {
  readonly instance: Instance;
  /** Full path of the ephemeral node currently registering it. */
  path: string;
}

/** Directories known to exist, so register() skips mkdirp; bounded (a miss only costs one mkdirp). */
const MAX_KNOWN_DIRS = 10_000;
/** Optimistic-concurrency retries for mapping updates and node replacement. */
const MAX_ATTEMPTS = 8;

export class ZooKeeperRegistry implements Registry {
  readonly kind = 'zookeeper';
  readonly metrics = new ZkMetrics();
  readonly layout: LayoutCodec;
  private readonly views = new Map<string, ServiceView>();
  private readonly held = new Map<string, Held>();
  /** Per-(service, id) write chains: concurrent register/deregister of one id apply in call order. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly knownDirs = new Set<string>();
  private closed = false;
  /** Application layout only: interface sets per application, from the mapping (created on first use). */
  private mappingIndex: MappingIndex | undefined;

  private constructor(
    private readonly conn: ZkConnection,
    readonly options: ZooKeeperOptions,
  ) {
    this.layout = layoutCodec(options);
    conn.on('session', () => void this.onNewSession());
    conn.on('stalled', () => this.metrics.inc('zk_connect_stalls'));
    conn.on('reconnected', () => {
      this.metrics.core.inc('reconnects');
      // Same session: watches were re-sent by the client, but a level check is cheap and proves it.
      for (const v of this.views.values()) v.trigger();
    });
  }

  /** Connects (bounded by connectTimeoutMs) and returns a ready registry. */
  static async connect(options: ZooKeeperOptions): Promise<ZooKeeperRegistry> {
    const conn = await ZkConnection.open({
      connectString: options.connectString,
      sessionTimeoutMs: options.sessionTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      opTimeoutMs: options.opTimeoutMs,
    });
    return new ZooKeeperRegistry(conn, options);
  }

  /**
   * Application layout: fills `interfaces` of instances that do not list them (Dubbo's own records)
   * from the service-name mapping, as Dubbo means it: every instance of an application serves the
   * interfaces mapped to that application.
   */
  private enricher(): Enricher | undefined {
    if (this.layout.kind !== 'application') return undefined;
    this.mappingIndex ??= new MappingIndex(
      () => this.conn,
      this.layout.mappingDir,
      this.options.maxMappings,
      this.metrics,
      (apps) => {
        for (const app of apps) this.views.get(app)?.trigger();
      },
    );
    const index = this.mappingIndex;
    return {
      ready: () => index.ready(),
      apply: (inst) => {
        if (inst.interfaces.length > 0) return inst;
        const interfaces = index.interfacesOf(inst.service);
        return interfaces.length > 0 ? { ...inst, interfaces } : inst;
      },
    };
  }

  /** The underlying connection (session id, state events). */
  get connection(): ZkConnection {
    return this.conn;
  }

  private assertOpen(): void {
    if (this.closed) throw new RegistryError('REG_ERR_CLOSED', 'zookeeper registry');
  }

  private serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }

  async register(spec: InstanceSpec, _options?: RegisterOptions): Promise<Registration> {
    this.assertOpen();
    const instance = normalizeInstance(spec);
    const key = `${instance.service}\0${instance.id}`;
    return this.serialize(key, async () => {
      this.assertOpen();
      try {
        const prev = this.held.get(key);
        const path = await this.writeNode(instance, prev?.path);
        this.held.set(key, { instance, path });
        this.metrics.set('zk_registrations_held', this.held.size);
        this.metrics.core.inc('writes');
        if (this.layout.kind === 'application') {
          for (const iface of instance.interfaces) await this.mapInterface(iface, instance.service);
        }
        const stat = await this.conn.exists(path);
        const revision = stat ? Math.max(stat.czxid, stat.mzxid) : 0;
        return {
          instance,
          revision,
          deregister: () => this.deregisterHeld(key),
        };
      } catch (err) {
        throw toRegistryError(err, `register ${instance.service}/${instance.id}`);
      }
    });
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await this.conn.mkdirp(dir);
    if (this.knownDirs.size >= MAX_KNOWN_DIRS) this.knownDirs.clear();
    this.knownDirs.add(dir);
  }

  /**
   * Creates the ephemeral node for `inst` and removes `oldPath` (its previous node) afterwards, so the
   * instance never disappears while it is being updated. Returns the new node's path.
   */
  private async writeNode(inst: Instance, oldPath: string | undefined): Promise<string> {
    const dir = this.layout.dir(inst.service);
    await this.ensureDir(dir);
    const now = Date.now();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // The interface layout's child name embeds a timestamp; bumping it yields a fresh name.
      const { name, data } = this.layout.encode(inst, now + attempt);
      const path = `${dir}/${name}`;
      try {
        await this.conn.create(path, data, 'ephemeral');
      } catch (err) {
        const code = zkCode(err);
        if (code === ZK_NO_NODE) {
          // The directory was deleted under us (an operator cleaning up): recreate it.
          this.knownDirs.delete(dir);
          await this.ensureDir(dir);
          continue;
        }
        if (code !== ZK_NODE_EXISTS) throw err;
        const stat = await this.conn.exists(path);
        if (stat && stat.ephemeralOwner === this.conn.sessionId) {
          if (!this.layout.watchData) continue; // our node under this name: take the next name
          await this.conn.setData(path, data, -1); // application layout: update in place
        } else if (stat) {
          // Left by a dead session of ours or another client that registered this id: replace it.
          await this.conn.remove(path);
          continue;
        } else {
          continue;
        }
      }
      if (oldPath && oldPath !== path) await this.conn.remove(oldPath);
      return path;
    }
    throw new RegistryError('REG_ERR_UNAVAILABLE', `could not create a node for ${inst.service}/${inst.id}`);
  }

  private deregisterHeld(key: string): Promise<void> {
    return this.serialize(key, async () => {
      const h = this.held.get(key);
      if (!h) return;
      this.held.delete(key);
      this.metrics.set('zk_registrations_held', this.held.size);
      if (this.closed) return; // the session is closed: the node is already gone
      try {
        await this.conn.remove(h.path);
        this.metrics.core.inc('writes');
      } catch (err) {
        throw toRegistryError(err, `deregister ${h.instance.service}/${h.instance.id}`);
      }
    });
  }

  async deregister(service: string, id: string): Promise<void> {
    this.assertOpen();
    const key = `${service}\0${id}`;
    await this.deregisterHeld(key);
    // Also remove nodes with this id that another client (or an earlier session) registered.
    await this.serialize(key, async () => {
      try {
        const { children } = await readChildren(
          this.conn,
          this.layout,
          service,
          this.views.get(service)?.cache,
          this.metrics,
        );
        const dir = this.layout.dir(service);
        for (const [name, c] of children) {
          if (c.instance?.id === id && (await this.conn.remove(`${dir}/${name}`)))
            this.metrics.core.inc('writes');
        }
      } catch (err) {
        throw toRegistryError(err, `deregister ${service}/${id}`);
      }
    });
  }

  async list(service: string): Promise<readonly Instance[]> {
    this.assertOpen();
    if (service === '' || service.includes('/')) return [];
    try {
      const cache = this.views.get(service)?.cache;
      const enrich = this.enricher();
      await enrich?.ready();
      const { children } = await readChildren(this.conn, this.layout, service, cache, this.metrics);
      return sortById(byId(children, enrich).values());
    } catch (err) {
      throw toRegistryError(err, `list ${service}`);
    }
  }

  async services(): Promise<readonly string[]> {
    this.assertOpen();
    try {
      const top = await this.conn.getChildren(this.layout.servicesDir);
      if (!top) return [];
      const names = top.children.filter((n) => this.layout.isService(n));
      const out: string[] = [];
      for (let i = 0; i < names.length; i += 32) {
        const batch = names.slice(i, i + 32);
        const stats = await Promise.all(batch.map((n) => this.conn.exists(this.layout.dir(n))));
        batch.forEach((n, j) => {
          if ((stats[j]?.numChildren ?? 0) > 0) out.push(n);
        });
      }
      return out.sort();
    } catch (err) {
      throw toRegistryError(err, 'services');
    }
  }

  watch(service: string, options?: WatchOptions): Watch {
    let view = this.views.get(service);
    const ch = new WatchChannel(
      service,
      options,
      this.metrics.core,
      () => view?.snapshot() ?? { revision: 0, instances: [] },
      (c) => this.onChannelClosed(service, c),
    );
    if (this.closed) {
      ch.close();
      return ch;
    }
    if (service === '' || service.includes('/')) {
      ch.end(
        new RegistryError('REG_ERR_INVALID_INSTANCE', `service "${service}" must be non-empty without "/"`),
      );
      return ch;
    }
    if (!view) {
      if (this.views.size >= this.options.maxWatchedServices) {
        this.metrics.inc('zk_watch_rejections');
        ch.end(
          new RegistryError(
            'REG_ERR_UNAVAILABLE',
            `${this.views.size} services watched, maxWatchedServices=${this.options.maxWatchedServices}`,
          ),
        );
        return ch;
      }
      view = new ServiceView(service, () => this.conn, this.layout, this.metrics, this.enricher());
      this.views.set(service, view);
      this.metrics.set('zk_watched_services', this.views.size);
    }
    view.add(ch);
    return ch;
  }

  private onChannelClosed(service: string, ch: WatchChannel): void {
    const view = this.views.get(service);
    if (!view) return;
    view.remove(ch);
    if (view.channelCount === 0) {
      view.dispose();
      this.metrics.inc('zk_cached_nodes', -view.cachedNodes);
      this.views.delete(service);
      this.metrics.set('zk_watched_services', this.views.size);
    }
  }

  /** A new session replaced an expired one: restore every held registration, then resync every watcher. */
  private async onNewSession(): Promise<void> {
    if (this.closed) return;
    this.metrics.inc('zk_session_expirations');
    this.metrics.core.inc('reconnects');
    // The server deleted every ephemeral of the old session; they are re-created below.
    this.metrics.core.inc('lease_expirations', this.held.size);
    this.knownDirs.clear();
    for (const [key, h] of this.held) {
      try {
        await this.serialize(key, async () => {
          if (this.held.get(key) !== h) return; // deregistered or replaced meanwhile
          h.path = await this.writeNode(h.instance, undefined);
          this.metrics.inc('zk_reregistrations');
        });
      } catch {
        // Left for the next session event; the watcher resync below still reports the truth.
      }
    }
    this.mappingIndex?.resync();
    for (const v of this.views.values()) v.trigger('session-lost');
  }

  /** Applications serving `iface`, from Dubbo 3's `/<root>/mapping/<iface>` (empty when unmapped). */
  async applications(iface: string): Promise<readonly string[]> {
    this.assertOpen();
    try {
      return parseMapping((await this.conn.getData(this.layout.mappingPath(iface)))?.data);
    } catch (err) {
      throw toRegistryError(err, `mapping ${iface}`);
    }
  }

  /** Adds `app` to the mapping of `iface` (compare-and-set, as concurrent providers may race). */
  async mapInterface(iface: string, app: string): Promise<void> {
    const path = this.layout.mappingPath(iface);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const got = await this.conn.getData(path);
      if (!got) {
        await this.ensureDir(this.layout.mappingDir);
        try {
          await this.conn.create(path, Buffer.from(app), 'persistent');
          return;
        } catch (err) {
          if (zkCode(err) === ZK_NODE_EXISTS) continue;
          throw err;
        }
      }
      const text = got.data?.toString('utf8');
      if (parseMapping(text).includes(app)) return;
      try {
        await this.conn.setData(path, Buffer.from(addToMapping(text, app)), got.stat.version);
        return;
      } catch (err) {
        if (zkCode(err) !== ZK_BAD_VERSION) throw err;
      }
    }
    throw new RegistryError('REG_ERR_UNAVAILABLE', `mapping ${iface}: too many concurrent updates`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.mappingIndex?.dispose();
    for (const v of [...this.views.values()]) v.closeAll();
    this.views.clear();
    this.metrics.set('zk_watched_services', 0);
    this.held.clear();
    this.metrics.set('zk_registrations_held', 0);
    // Closing the session deletes every ephemeral node at once (the server does it, atomically).
    this.conn.close();
  }
}
