// A list+watch loop over one custom resource, on client-node's ListWatch informer (list, then watch from
// the list's resourceVersion; on 410 Gone it re-lists and reports the difference as add/update/delete),
// with what it lacks for a config source:
// - bookmarks: the watch asks for them, so a quiet watch keeps a fresh resourceVersion and a reconnect
//   rarely has to re-list;
// - restarts: client-node stops on errors other than 410 and timeouts; this retries with bounded backoff;
// - a CRD that is not installed (404) counts as an empty kind, so the source becomes ready without it and
//   picks its objects up once the CRD appears (the retry keeps listing).
// (The registry's Kubernetes backend has the same loop; each package keeps its own copy so neither
// depends on the other.)
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';

export interface ReflectorOptions {
  readonly path: string;
  readonly list: () => Promise<KubernetesListObject<KubernetesObject>>;
  readonly onChange: (type: 'add' | 'update' | 'delete', obj: KubernetesObject) => void;
  readonly onError?: (err: unknown) => void;
}

const MAX_BACKOFF_MS = 5_000;
/** Retry period while the CRD is missing. */
const ABSENT_RETRY_MS = 10_000;

class BookmarkWatch extends Watch {
  #generation = 0;
  readonly #open = new Set<AbortController>();

  constructor(
    config: KubeConfig,
    private readonly onConnect: () => void,
  ) {
    super(config);
    // Above the apiserver's bookmark interval (about a minute); client-node has no setter for it.
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
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: 300 };
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

export class Reflector {
  readonly #watch: BookmarkWatch;
  readonly #informer: ListWatch<KubernetesObject>;
  readonly #options: ReflectorOptions;
  #attempt = 0;
  #absent = false;
  #stopped = true;
  #retry: NodeJS.Timeout | undefined;
  #resolveSynced!: () => void;
  /** Resolves after the first list (or the first 404: the CRD is not installed). */
  readonly synced: Promise<void>;

  constructor(kc: KubeConfig, options: ReflectorOptions) {
    this.#options = options;
    this.synced = new Promise((r) => {
      this.#resolveSynced = r;
    });
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      try {
        const res = await options.list();
        this.#absent = false;
        // ListWatch applies the items synchronously once this settles; setImmediate runs after that.
        setImmediate(() => this.#resolveSynced());
        return res;
      } catch (err) {
        if (statusOf(err) === 404) {
          this.#absent = true;
          this.#resolveSynced();
        }
        throw err;
      }
    };
    const watch = new BookmarkWatch(kc, () => {
      this.#attempt = 0;
    });
    this.#watch = watch;
    this.#informer = new ListWatch(options.path, watch, list, false);
    this.#informer.on('add', (o) => options.onChange('add', o));
    this.#informer.on('update', (o) => options.onChange('update', o));
    this.#informer.on('delete', (o) => options.onChange('delete', o));
    this.#informer.on('error', (err) => this.#failed(err));
  }

  /** Whether the last list found no such resource (CRD not installed). */
  get absent(): boolean {
    return this.#absent;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#informer.start().catch((err: unknown) => this.#failed(err));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
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
