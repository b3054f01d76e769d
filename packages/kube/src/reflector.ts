// A reflector (client-go's name): client-node's ListWatch informer (list, then watch from the list's
// resourceVersion; on 410 Gone it re-lists and reports the difference as add/update/delete), with what
// it lacks for the config source and the registry:
// - bookmarks: the watch asks for them (allowWatchBookmarks), so a quiet watch still advances its
//   resourceVersion and a reconnect rarely needs a re-list;
// - restarts: client-node stops on any error other than 410 or a timeout; this retries with bounded
//   backoff until stopped;
// - re-list notice: `onRelist` runs after the informer applied a re-list (the first list excluded), so
//   the registry can hand watchers a resync: after a gap, deltas alone cannot be trusted;
// - `synced`: resolves after the first list;
// - `absentIsEmpty` (the config source's CRDs): a list answered 404 (CRD not installed) counts as an empty
//   kind: `synced` resolves, `absent` is true, no error is reported, and listing retries every 10 s, so the
//   objects appear once the CRD does.
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';

export type ListFn<T extends KubernetesObject> = () => Promise<KubernetesListObject<T>>;

export interface ReflectorOptions<T extends KubernetesObject> {
  readonly path: string;
  readonly list: ListFn<T>;
  readonly labelSelector?: string;
  /** Any add/update/delete, after the informer's cache changed. */
  readonly onChange: (type: 'add' | 'update' | 'delete', obj: T) => void;
  readonly onRelist?: () => void;
  readonly onError?: (err: unknown) => void;
  /** Server-side watch timeout; the watch is then resumed from the last resourceVersion. Default 300. */
  readonly timeoutSeconds?: number;
  /** Treat a 404 from the list (a CRD that is not installed) as an empty, not-yet-existing kind. */
  readonly absentIsEmpty?: boolean;
}

const MAX_BACKOFF_MS = 5_000;
/** Retry period while the resource is absent (absentIsEmpty). */
const ABSENT_RETRY_MS = 10_000;

/** client-node's Watch plus bookmarks and a server-side timeout, and a hook on every (re)connect. */
class BookmarkWatch extends Watch {
  #generation = 0;
  readonly #open = new Set<AbortController>();

  constructor(
    config: KubeConfig,
    private readonly timeoutSeconds: number,
    private readonly onConnect: () => void,
  ) {
    super(config);
    // An inactivity bound above the apiserver's bookmark interval (about a minute); client-node has
    // no setter for it.
    (this as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 90_000;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.onConnect();
    const generation = this.#generation;
    const live = (): boolean => generation === this.#generation;
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds };
    let controller: AbortController | undefined;
    controller = await super.watch(
      path,
      params,
      (phase, obj, raw) => {
        if (live()) callback(phase, obj, raw);
      },
      (err) => {
        // May run before super.watch returns (a failed connect), when there is no controller yet.
        if (controller) this.#open.delete(controller);
        if (live()) done(err);
      },
    );
    if (live()) this.#open.add(controller);
    else controller.abort();
    return controller;
  }

  /**
   * Ends every watch opened so far, silently. Needed because client-node's ListWatch can only abort a
   * watch whose response headers arrived (an apiserver serving a watch from etcd sends them with the
   * first event), and its stop() would otherwise let a late watch deliver events (moving the
   * resourceVersion past changes nobody applied) or, on restart, abort the new watch in turn.
   */
  invalidate(): void {
    this.#generation++;
    for (const c of this.#open) c.abort();
    this.#open.clear();
  }
}

const statusOf = (err: unknown): number | undefined => {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  const code = e?.code ?? e?.statusCode;
  return typeof code === 'number' ? code : undefined;
};

export class Reflector<T extends KubernetesObject = KubernetesObject> {
  readonly #watch: BookmarkWatch;
  readonly #informer: ListWatch<T>;
  readonly #options: ReflectorOptions<T>;
  #lists = 0;
  #attempt = 0;
  #absent = false;
  #stopped = true;
  #retry: NodeJS.Timeout | undefined;
  #resolveSynced!: () => void;
  readonly synced: Promise<void>;

  constructor(kc: KubeConfig, options: ReflectorOptions<T>) {
    this.#options = options;
    this.synced = new Promise((r) => {
      this.#resolveSynced = r;
    });
    const list: ListFn<T> = async () => {
      let res: KubernetesListObject<T>;
      try {
        res = await options.list();
      } catch (err) {
        if (options.absentIsEmpty && statusOf(err) === 404) {
          this.#absent = true;
          this.#resolveSynced();
        }
        throw err;
      }
      this.#absent = false;
      const relist = this.#lists++ > 0;
      // ListWatch applies the returned items synchronously once this promise settles (firing
      // add/update/delete); setImmediate runs after that, so the hooks see the applied list.
      setImmediate(() => {
        if (this.#stopped) return;
        if (relist) options.onRelist?.();
        else this.#resolveSynced();
      });
      return res;
    };
    const watch = new BookmarkWatch(kc, options.timeoutSeconds ?? 300, () => {
      this.#attempt = 0;
    });
    this.#watch = watch;
    this.#informer = new ListWatch<T>(options.path, watch, list, false, options.labelSelector);
    this.#informer.on('add', (o) => options.onChange('add', o));
    this.#informer.on('update', (o) => options.onChange('update', o));
    this.#informer.on('delete', (o) => options.onChange('delete', o));
    this.#informer.on('error', (err) => this.#failed(err));
  }

  /** Cached objects (all namespaces, or one). */
  list(namespace?: string): readonly T[] {
    return this.#informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#informer.get(name, namespace);
  }

  get resourceVersion(): string {
    return this.#informer.latestResourceVersion();
  }

  /** Whether the last list found no such resource (only with absentIsEmpty: a CRD not installed). */
  get absent(): boolean {
    return this.#absent;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#informer.start().catch((err: unknown) => this.#failed(err));
  }

  /** Stops watching; the cache and resourceVersion are kept, so start() resumes from there. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#watch.invalidate();
    await this.#informer.stop();
  }

  #failed(err: unknown): void {
    if (this.#stopped) return;
    if (!this.#absent) this.#options.onError?.(err);
    clearTimeout(this.#retry);
    const delay = this.#absent ? ABSENT_RETRY_MS : Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.#attempt++);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#stopped) void this.#informer.start().catch((e: unknown) => this.#failed(e));
    }, delay);
    this.#retry.unref();
  }
}
