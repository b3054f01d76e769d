// Config from Kubernetes: informers over Istio's networking.istio.io/v1 kinds and Strait's
// mesh.strait.io/v1alpha1 RpcRoute, feeding a ConfigStore.
//
// Each object goes through the store's validation like a file would: an invalid object is rejected
// with its issues (store.rejected()), and the store keeps the last good version of it, so a bad
// `kubectl apply` never takes working config away. Events are coalesced per event-loop turn into one
// store.apply() (plus deletes), so a burst (an informer's first list, a re-list after 410 Gone, a
// rollout touching many objects) is one change event and one onUpdate, as the directory watcher does.
//
// What the store sees of each object: apiVersion, kind, spec and metadata without the server's
// bookkeeping (resourceVersion, managedFields) and without status, so a status write or a no-op apply
// is not a config change.
import { readFileSync } from 'node:fs';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Reflector } from '@strait/kube';
import type { ConfigKind, SourcedConfig } from '../kinds/index.js';
import { CONFIG_KINDS } from '../kinds/index.js';
import type { RawDocument, Rejection } from '../loader/yaml.js';
import { type ConfigChange, ConfigStore, type SourcedIssue } from '../store.js';
import type { ConfigRef, ValidateOptions } from '../validation/index.js';

/** Plural resource names of the kinds watched. */
const PLURALS: Record<ConfigKind, string> = {
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
  ServiceEntry: 'serviceentries',
  Sidecar: 'sidecars',
  RpcRoute: 'rpcroutes',
};

export interface KubernetesConfigOptions extends ValidateOptions {
  /** Kubeconfig file or a loaded KubeConfig. Default: $KUBECONFIG, in-cluster, ~/.kube/config. */
  readonly kubeconfig?: string | KubeConfig;
  /** Store to feed (the pilot's); a private one is created otherwise. */
  readonly store?: ConfigStore;
  /** Only this namespace. Default: all namespaces. */
  readonly namespace?: string;
  /** Kinds to watch. Default: all of CONFIG_KINDS. */
  readonly kinds?: readonly ConfigKind[];
  /** After every applied batch, the first (the initial lists) included. */
  readonly onUpdate?: (update: KubernetesConfigUpdate) => void;
  /** Informer errors (connection lost, forbidden); the informer retries by itself. */
  readonly onError?: (kind: ConfigKind, err: unknown) => void;
}

export interface KubernetesConfigUpdate {
  /** Monotonic count of applied batches. */
  readonly generation: number;
  /** What changed in the store with this batch. */
  readonly changes: ConfigChange[];
  /** Inputs of this batch that failed validation (each kept its last good version, if any). */
  readonly rejected: Rejection[];
  readonly warnings: SourcedIssue[];
  /** Every object in force in the store. */
  readonly objects: SourcedConfig[];
  /** Objects held at their last good version. */
  readonly stale: ConfigRef[];
  /** Kinds whose CRD is not installed (watched anyway: they appear once it is). */
  readonly absentKinds: ConfigKind[];
}

export interface KubernetesConfigWatcher {
  readonly store: ConfigStore;
  /** Resolves after every kind's first list has been applied. */
  readonly ready: Promise<KubernetesConfigUpdate>;
  close(): Promise<void>;
}

type Pending = { type: 'put'; object: KubernetesObject } | { type: 'delete'; object: KubernetesObject };

/**
 * Starts watching. The Kubernetes client is loaded on first use (importing @strait/config stays cheap for
 * everyone who never talks to Kubernetes). An unreadable kubeconfig file throws here; one that reads but
 * cannot be loaded rejects `ready`.
 */
export function watchKubernetesConfig(options: KubernetesConfigOptions = {}): KubernetesConfigWatcher {
  // A missing or unreadable kubeconfig file is the caller's mistake: say so now, not through `ready`.
  if (typeof options.kubeconfig === 'string') readFileSync(options.kubeconfig);
  const store = options.store ?? new ConfigStore(options);
  let closed = false;
  const started = start(store, options, () => closed);
  // Not awaited by callers that only close(): keep a failed start from being an unhandled rejection.
  started.catch(() => undefined);
  return {
    store,
    ready: started.then((s) => s.ready),
    close: async () => {
      closed = true;
      const s = await started.catch(() => undefined);
      await s?.stop();
    },
  };
}

async function start(
  store: ConfigStore,
  options: KubernetesConfigOptions,
  isClosed: () => boolean,
): Promise<{ ready: Promise<KubernetesConfigUpdate>; stop: () => Promise<void> }> {
  const k8s = await import('@kubernetes/client-node');
  const { Reflector } = await import('@strait/kube');
  const kc = loadKubeConfig(k8s, options.kubeconfig);
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const kinds = options.kinds ?? (Object.keys(CONFIG_KINDS) as ConfigKind[]);
  const pending = new Map<string, Pending>();
  let flush: NodeJS.Immediate | undefined;
  let generation = 0;
  let synced = false;
  let resolveReady!: (u: KubernetesConfigUpdate) => void;
  const ready = new Promise<KubernetesConfigUpdate>((r) => {
    resolveReady = r;
  });

  const reflectors = new Map<ConfigKind, Reflector>();
  const apply = (): void => {
    flush = undefined;
    if (isClosed()) return;
    const batch = [...pending.values()];
    pending.clear();
    const puts: RawDocument[] = [];
    const changes: ConfigChange[] = [];
    for (const p of batch) {
      if (p.type === 'put') puts.push(toDocument(p.object));
      else {
        const { kind, namespace, name } = identity(p.object);
        if (kind && store.delete(kind, namespace, name))
          changes.push({ type: 'deleted', kind, namespace, name });
      }
    }
    const result = store.apply(puts);
    const update: KubernetesConfigUpdate = {
      generation: ++generation,
      changes: [...result.changes, ...changes],
      rejected: result.rejected,
      warnings: result.warnings,
      objects: store.entries(),
      stale: store.stale(),
      absentKinds: kinds.filter((k) => reflectors.get(k)?.absent),
    };
    if (synced) resolveReady(update);
    try {
      options.onUpdate?.(update);
    } catch {
      // A failing callback must not stop the source.
    }
  };
  const enqueue = (p: Pending): void => {
    const { kind, namespace, name } = identity(p.object);
    // Later events for the same object replace earlier ones: only its last state matters.
    pending.set(`${kind}/${namespace}/${name}`, p);
    flush ??= setImmediate(apply);
  };

  for (const kind of kinds) {
    const [group, version] = CONFIG_KINDS[kind].split('/') as [string, string];
    const plural = PLURALS[kind];
    const ns = options.namespace;
    const path = `/apis/${group}/${version}${ns ? `/namespaces/${ns}` : ''}/${plural}`;
    const reflector = new Reflector(kc, {
      path,
      list: () =>
        (ns
          ? api.listNamespacedCustomObject({ group, version, namespace: ns, plural })
          : api.listClusterCustomObject({ group, version, plural })) as Promise<
          KubernetesListObject<KubernetesObject>
        >,
      onChange: (type, object) => {
        // List items of custom resources carry apiVersion and kind, but fill them in if a server omits them.
        const full = {
          ...object,
          apiVersion: object.apiVersion ?? CONFIG_KINDS[kind],
          kind: object.kind ?? kind,
        };
        enqueue({ type: type === 'delete' ? 'delete' : 'put', object: full });
      },
      onError: (err) => options.onError?.(kind, err),
      // A CRD that is not installed is an empty kind: the source becomes ready without it.
      absentIsEmpty: true,
    });
    reflectors.set(kind, reflector);
  }
  for (const r of reflectors.values()) r.start();
  void Promise.all([...reflectors.values()].map((r) => r.synced)).then(() => {
    synced = true;
    // Flush what the first lists queued (or report an empty start) so `ready` resolves.
    if (flush) clearImmediate(flush);
    apply();
  });

  const stop = async (): Promise<void> => {
    if (flush) clearImmediate(flush);
    flush = undefined;
    await Promise.all([...reflectors.values()].map((r) => r.stop()));
  };
  if (isClosed()) await stop();
  return { ready, stop };
}

function loadKubeConfig(
  k8s: typeof import('@kubernetes/client-node'),
  kubeconfig: string | KubeConfig | undefined,
): KubeConfig {
  if (kubeconfig instanceof k8s.KubeConfig) return kubeconfig;
  const kc = new k8s.KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

function identity(o: KubernetesObject): { kind: ConfigKind | undefined; namespace: string; name: string } {
  const kind = o.kind && Object.hasOwn(CONFIG_KINDS, o.kind) ? (o.kind as ConfigKind) : undefined;
  return { kind, namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '' };
}

/** The object as config, with a source naming where it came from for rejection messages. */
function toDocument(o: KubernetesObject): RawDocument {
  const { status: _status, metadata, ...rest } = o as KubernetesObject & { status?: unknown };
  const { managedFields: _m, resourceVersion, ...meta } = metadata ?? {};
  const { kind, namespace, name } = identity(o);
  return {
    value: { ...rest, metadata: meta },
    source: { file: `kubernetes:${kind ?? o.kind}/${namespace}/${name}@${resourceVersion ?? ''}`, index: 0 },
  };
}
