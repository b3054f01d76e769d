// `kubernetes://`: a Registry over a Kubernetes API server. Reads are Services + EndpointSlices (+ Pods
// for labels, + Leases for registrations) through informers; writes are EndpointSlices.
//
// Reading: one instance per (endpoint address, slice port); see mapping.ts for health, protocol and
// labels. Service names are `name.namespace.svc.<clusterDomain>` (Istio's hosts) for a cluster-wide
// registry, or plain Service names for one scoped to a namespace (`?namespace=`); both forms are accepted
// as input. A watch is level-based: any informer change marks the services it touches dirty, and a
// recompute (coalesced per event-loop turn) diffs the computed instances against what watchers hold.
// After an informer re-list (410 Gone: its resourceVersion left the apiserver's history) every watcher
// gets a `resync` with the recomputed state, never a delta.
//
// Registering writes one EndpointSlice per instance (named from service + id, so re-registering
// replaces it), labelled with the Service name (as the EndpointSlice controller does, with our own
// managed-by value) and carrying the full Instance in an annotation. Kubernetes keeps no TTLs, so
// liveness is a coordination.k8s.io Lease per client and TTL, renewed at a third of its duration:
// readers ignore slices whose Lease expired and delete them (best effort), so a crashed client's
// instances go away like an etcd lease's. Pods' own endpoints stay the EndpointSlice controller's.
import { hostname } from 'node:os';
import {
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  type KubernetesListObject,
} from '@kubernetes/client-node';
import { type ListFn, Reflector } from '@strait/kube';
import { RegistryError } from '../../errors.js';
import { byId, instanceEqual, normalizeInstance } from '../../instance.js';
import { Metrics } from '../../metrics.js';
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
import { instancesOfSlice, leaseExpired, type ServiceRef, sliceForInstance, sliceName } from './mapping.js';
import {
  type EndpointSlice,
  type KubeObject,
  LEASE_LABEL,
  type Lease,
  type Pod,
  SERVICE_NAME_LABEL,
  type Service,
} from './objects.js';

export interface KubernetesRegistryOptions {
  /** A kubeconfig file path or a loaded KubeConfig. Default: $KUBECONFIG, in-cluster, ~/.kube/config. */
  readonly kubeconfig?: string | KubeConfig;
  /** Only this namespace; service names are then plain Service names. Default: all namespaces. */
  readonly namespace?: string;
  /** Default `cluster.local`. */
  readonly clusterDomain?: string;
  /** Lease duration when register() gets no liveness. Default 10 s. */
  readonly defaultTtlMs?: number;
  /** Lease duration of `session` registrations. Default 10 s. */
  readonly sessionTtlMs?: number;
  /** Watch Pods to label instances (version, app, cell, locality). Default true. */
  readonly pods?: boolean;
  /** Per-call deadline. Default 10 s. */
  readonly callTimeoutMs?: number;
}

/** Label on Leases this backend creates (so informers only see ours). */
const LEASE_OWNER_LABEL = 'app.kubernetes.io/managed-by';
const LEASE_OWNER = 'strait-registry';
/** How often watchers re-check lease expiry while they hold lease-bound instances. */
const EXPIRY_CHECK_MS = 500;

interface Subscription {
  readonly ref: ServiceRef;
  readonly name: string;
  revision: number;
  ready: boolean;
  /** Holds instances from registry-written slices, so lease expiry must be re-checked over time. */
  leased: boolean;
  readonly state: Map<string, Instance>;
  readonly channels: Set<WatchChannel>;
  readonly waiting: Set<WatchChannel>;
}

interface Reflectors {
  readonly slices: Reflector<EndpointSlice>;
  readonly services: Reflector<Service>;
  readonly pods: Reflector<Pod> | undefined;
  readonly leases: Reflector<Lease>;
  /** After every informer's first list. */
  readonly synced: Promise<void>;
}

interface HeldLease {
  readonly name: string;
  readonly namespace: string;
  readonly ttlMs: number;
  /** Slices (namespace/name) kept alive by this lease, with what was registered. */
  readonly slices: Map<string, { instance: Instance; ref: ServiceRef }>;
  timer: NodeJS.Timeout | undefined;
}

/** MicroTime as the apiserver parses it (RFC 3339 with exactly six fractional digits). */
const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

const statusOf = (err: unknown): number | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};

export class KubernetesRegistry implements Registry {
  readonly kind = 'kubernetes';
  readonly metrics = new Metrics();
  readonly kubeConfig: KubeConfig;
  readonly #core: CoreV1Api;
  readonly #discovery: DiscoveryV1Api;
  readonly #coordination: CoordinationV1Api;
  readonly #namespace: string | undefined;
  readonly #domain: string;
  readonly #defaultTtlMs: number;
  readonly #sessionTtlMs: number;
  readonly #watchPods: boolean;
  readonly #timeoutMs: number;
  readonly #leases = new Map<string, Promise<HeldLease>>();
  readonly #subs = new Map<string, Subscription>();
  /** Slices by `namespace/service`, then by slice name: maintained from the slice informer. */
  readonly #slicesByService = new Map<string, Map<string, EndpointSlice>>();
  readonly #serviceOfSlice = new Map<string, string>();
  readonly #dirty = new Set<string>();
  readonly #collected = new Set<string>();
  #reflectors: Reflectors | undefined;
  #flush: NodeJS.Immediate | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  #revision = 0;
  /** Every informer has listed once: before that a computed state would be partial (no pods yet...). */
  #synced = false;
  #closed = false;

  constructor(options: KubernetesRegistryOptions = {}) {
    if (options.kubeconfig instanceof KubeConfig) this.kubeConfig = options.kubeconfig;
    else {
      this.kubeConfig = new KubeConfig();
      if (options.kubeconfig) this.kubeConfig.loadFromFile(options.kubeconfig);
      else this.kubeConfig.loadFromDefault();
    }
    if (!this.kubeConfig.getCurrentCluster())
      throw new RegistryError('REG_ERR_INVALID_URL', 'kubernetes: the kubeconfig names no current cluster');
    this.#core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.#discovery = this.kubeConfig.makeApiClient(DiscoveryV1Api);
    this.#coordination = this.kubeConfig.makeApiClient(CoordinationV1Api);
    this.#namespace = options.namespace;
    this.#domain = options.clusterDomain ?? 'cluster.local';
    this.#defaultTtlMs = options.defaultTtlMs ?? 10_000;
    this.#sessionTtlMs = options.sessionTtlMs ?? 10_000;
    this.#watchPods = options.pods ?? true;
    this.#timeoutMs = options.callTimeoutMs ?? 10_000;
  }

  // ---- names ----

  /** `name` (namespace-scoped registry) or `name.namespace.svc.<domain>` → Service reference. */
  #resolve(service: string): ServiceRef {
    const suffix = `.svc.${this.#domain}`;
    if (service.endsWith(suffix)) {
      const parts = service.slice(0, -suffix.length).split('.');
      if (parts.length === 2 && parts[0] && parts[1]) {
        if (this.#namespace === undefined || this.#namespace === parts[1])
          return { name: parts[0], namespace: parts[1] };
      }
    } else if (!service.includes('.')) {
      return { name: service, namespace: this.#namespace ?? 'default' };
    }
    throw new RegistryError(
      'REG_ERR_INVALID_INSTANCE',
      `service "${service}" is not a Service name or name.namespace${suffix}` +
        (this.#namespace ? ` in namespace ${this.#namespace}` : ''),
    );
  }

  #nameOf(ref: ServiceRef): string {
    return this.#namespace !== undefined ? ref.name : `${ref.name}.${ref.namespace}.svc.${this.#domain}`;
  }

  // ---- writes ----

  async register(spec: InstanceSpec, options?: RegisterOptions): Promise<Registration> {
    this.#assertOpen();
    const instance = normalizeInstance(spec);
    const ref = this.#resolve(instance.service);
    const liveness = options?.liveness ?? { kind: 'ttl', ttlMs: this.#defaultTtlMs };
    const ttlMs = liveness.kind === 'session' ? this.#sessionTtlMs : liveness.ttlMs;
    const lease = await this.#ensureLease(ref.namespace, ttlMs);
    const body = sliceForInstance(instance, ref, lease.name);
    const written = await this.#putSlice(body);
    const key = `${ref.namespace}/${body.metadata!.name}`;
    for (const p of this.#leases.values()) (await p.catch(() => undefined))?.slices.delete(key);
    lease.slices.set(key, { instance, ref });
    this.metrics.inc('writes');
    let done = false;
    return {
      instance,
      revision: Number(written.metadata?.resourceVersion) || 0,
      deregister: async () => {
        if (done) return;
        done = true;
        if (lease.slices.get(key)?.instance !== instance) return; // replaced or removed since
        await this.deregister(instance.service, instance.id);
      },
    };
  }

  async deregister(service: string, id: string): Promise<void> {
    this.#assertOpen();
    const ref = this.#resolve(service);
    const name = sliceName(ref.name, id);
    await this.#call('delete slice', () =>
      this.#discovery.deleteNamespacedEndpointSlice({ name, namespace: ref.namespace }),
    ).catch((err: unknown) => {
      if (statusOf((err as RegistryError).cause) !== 404) throw err;
    });
    for (const p of this.#leases.values())
      (await p.catch(() => undefined))?.slices.delete(`${ref.namespace}/${name}`);
    this.metrics.inc('writes');
  }

  async #putSlice(body: EndpointSlice): Promise<EndpointSlice> {
    const namespace = body.metadata!.namespace!;
    const name = body.metadata!.name!;
    try {
      return await this.#call('create slice', () =>
        this.#discovery.createNamespacedEndpointSlice({ namespace, body: body as never }),
      );
    } catch (err) {
      if (statusOf((err as RegistryError).cause) !== 409) throw err;
      // Already there (re-register): an unconditional update replaces it whole.
      return await this.#call('replace slice', () =>
        this.#discovery.replaceNamespacedEndpointSlice({ name, namespace, body: body as never }),
      );
    }
  }

  // ---- leases ----

  #ensureLease(namespace: string, ttlMs: number): Promise<HeldLease> {
    const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
    const key = `${namespace}/${seconds}`;
    let p = this.#leases.get(key);
    if (!p) {
      p = this.#createLease(namespace, seconds * 1000);
      this.#leases.set(key, p);
      p.catch(() => this.#leases.delete(key));
    }
    return p;
  }

  #leaseBody(name: string, namespace: string, ttlMs: number): Lease {
    return {
      metadata: { name, namespace, labels: { [LEASE_OWNER_LABEL]: LEASE_OWNER } },
      spec: {
        holderIdentity: `${hostname()}/${process.pid}`,
        leaseDurationSeconds: Math.ceil(ttlMs / 1000),
        renewTime: microTime(Date.now()),
      },
    };
  }

  async #createLease(namespace: string, ttlMs: number): Promise<HeldLease> {
    const name = `strait-registry-${Math.random().toString(36).slice(2, 10)}${Date.now().toString(36)}`;
    await this.#call('create lease', () =>
      this.#coordination.createNamespacedLease({
        namespace,
        body: this.#leaseBody(name, namespace, ttlMs) as never,
      }),
    );
    const held: HeldLease = { name, namespace, ttlMs, slices: new Map(), timer: undefined };
    const renew = async (): Promise<void> => {
      if (this.#closed) return;
      try {
        await this.#call('renew lease', () =>
          this.#coordination.replaceNamespacedLease({
            name,
            namespace,
            body: this.#leaseBody(name, namespace, ttlMs) as never,
          }),
        );
      } catch (err) {
        // Gone (expired and collected by a reader while we were stalled): recreate it and re-put what
        // it carried, as etcd's backend re-grants a lost lease.
        if (statusOf((err as RegistryError).cause) === 404) await this.#heal(held).catch(() => undefined);
      }
      if (!this.#closed) held.timer = setTimeout(() => void renew(), Math.max(200, ttlMs / 3)).unref();
    };
    held.timer = setTimeout(() => void renew(), Math.max(200, ttlMs / 3)).unref();
    return held;
  }

  async #heal(held: HeldLease): Promise<void> {
    this.metrics.inc('lease_expirations', held.slices.size);
    await this.#call('create lease', () =>
      this.#coordination.createNamespacedLease({
        namespace: held.namespace,
        body: this.#leaseBody(held.name, held.namespace, held.ttlMs) as never,
      }),
    );
    for (const { instance, ref } of held.slices.values())
      await this.#putSlice(sliceForInstance(instance, ref, held.name));
  }

  // ---- reads ----

  async list(service: string): Promise<readonly Instance[]> {
    this.#assertOpen();
    const ref = this.#resolve(service);
    const selector = `${SERVICE_NAME_LABEL}=${ref.name}`;
    const slices = await this.#call('list slices', () =>
      this.#discovery.listNamespacedEndpointSlice({ namespace: ref.namespace, labelSelector: selector }),
    );
    const items = slices.items as EndpointSlice[];
    const leases = items.some((s) => s.metadata?.labels?.[LEASE_LABEL])
      ? await this.#listLeases(ref.namespace)
      : new Map<string, Lease>();
    const pods = new Map<string, Pod>();
    if (this.#watchPods && items.some((s) => s.endpoints?.some((e) => e.targetRef?.kind === 'Pod'))) {
      const list = await this.#call('list pods', () =>
        this.#core.listNamespacedPod({ namespace: ref.namespace }),
      );
      for (const p of list.items) pods.set(p.metadata?.name ?? '', p as Pod);
    }
    const svc = await this.#call('read service', () =>
      this.#core.readNamespacedService({ name: ref.name, namespace: ref.namespace }),
    ).catch(() => undefined);
    return this.#compute(ref, items, {
      pods: (_ns, name) => pods.get(name),
      leases: (_ns, name) => leases.get(name),
      service: svc as Service | undefined,
    });
  }

  async services(): Promise<readonly string[]> {
    this.#assertOpen();
    const ns = this.#namespace;
    const slices = await this.#call('list slices', () =>
      ns === undefined
        ? this.#discovery.listEndpointSliceForAllNamespaces({ labelSelector: SERVICE_NAME_LABEL })
        : this.#discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: SERVICE_NAME_LABEL }),
    );
    const byService = new Map<string, EndpointSlice[]>();
    for (const s of slices.items as EndpointSlice[]) {
      const key = `${s.metadata?.namespace}/${s.metadata?.labels?.[SERVICE_NAME_LABEL]}`;
      byService.set(key, [...(byService.get(key) ?? []), s]);
    }
    const leaseCache = new Map<string, Map<string, Lease>>();
    const names: string[] = [];
    for (const [key, group] of byService) {
      const [namespace, name] = key.split('/') as [string, string];
      let leases = leaseCache.get(namespace);
      if (!leases && group.some((s) => s.metadata?.labels?.[LEASE_LABEL])) {
        leases = await this.#listLeases(namespace);
        leaseCache.set(namespace, leases);
      }
      const instances = this.#compute({ namespace, name }, group, {
        pods: () => undefined,
        leases: (_ns, n) => leases?.get(n),
        service: undefined,
      });
      if (instances.length > 0) names.push(this.#nameOf({ namespace, name }));
    }
    return names.sort();
  }

  async #listLeases(namespace: string): Promise<Map<string, Lease>> {
    const list = await this.#call('list leases', () =>
      this.#coordination.listNamespacedLease({
        namespace,
        labelSelector: `${LEASE_OWNER_LABEL}=${LEASE_OWNER}`,
      }),
    );
    return new Map(list.items.map((l) => [l.metadata?.name ?? '', l as Lease]));
  }

  /** Instances of one Service from its slices; ids are unique (first slice wins), sorted. */
  #compute(
    ref: ServiceRef,
    slices: Iterable<EndpointSlice>,
    src: {
      pods: (ns: string, name: string) => Pod | undefined;
      leases: (ns: string, name: string) => Lease | undefined;
      service: Service | undefined;
    },
  ): Instance[] {
    const ctx = {
      service: this.#nameOf(ref),
      pods: src.pods,
      leases: src.leases,
      servicePorts: src.service?.spec?.ports ?? [],
      now: Date.now(),
    };
    const out = new Map<string, Instance>();
    const sorted = [...slices].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    for (const slice of sorted) {
      for (const i of instancesOfSlice(slice, ctx)) if (!out.has(i.id)) out.set(i.id, i);
      this.#collectExpired(slice, ctx);
    }
    return [...out.values()].sort(byId);
  }

  /** Deletes a dead client's slices and Lease once (best effort; any reader may do it). */
  #collectExpired(
    slice: EndpointSlice,
    ctx: { leases: (ns: string, n: string) => Lease | undefined; now: number },
  ) {
    const leaseName = slice.metadata?.labels?.[LEASE_LABEL];
    const namespace = slice.metadata?.namespace;
    if (!leaseName || !namespace || this.#closed) return;
    const lease = ctx.leases(namespace, leaseName);
    // Missing from our view is not proof of deletion (a list in flight): only collect what we saw expire.
    if (!lease || !leaseExpired(lease, ctx.now - 1_000)) return;
    const key = `${namespace}/${leaseName}`;
    if (this.#collected.has(key)) return;
    this.#collected.add(key);
    this.metrics.inc('lease_expirations');
    void (async () => {
      await this.#discovery
        .deleteCollectionNamespacedEndpointSlice({ namespace, labelSelector: `${LEASE_LABEL}=${leaseName}` })
        .catch(() => undefined);
      await this.#coordination.deleteNamespacedLease({ name: leaseName, namespace }).catch(() => undefined);
    })();
  }

  // ---- watch ----

  watch(service: string, options?: WatchOptions): Watch {
    this.#assertOpen();
    const ref = this.#resolve(service);
    const key = `${ref.namespace}/${ref.name}`;
    let sub = this.#subs.get(key);
    if (!sub) {
      sub = {
        ref,
        name: this.#nameOf(ref),
        revision: 0,
        ready: false,
        leased: false,
        state: new Map(),
        channels: new Set(),
        waiting: new Set(),
      };
      this.#subs.set(key, sub);
    }
    const s = sub;
    const ch = new WatchChannel(
      service,
      options,
      this.metrics,
      () => ({ revision: s.revision, instances: [...s.state.values()] }),
      (c) => {
        s.channels.delete(c);
        s.waiting.delete(c);
        if (s.channels.size === 0 && this.#subs.get(key) === s) this.#subs.delete(key);
      },
    );
    s.channels.add(ch);
    if (s.ready) ch.pushInitial();
    else {
      s.waiting.add(ch);
      void this.#start().synced.then(() => this.#markDirty(key));
    }
    return ch;
  }

  #start(): Reflectors {
    if (this.#reflectors) return this.#reflectors;
    const ns = this.#namespace;
    const path = (group: string, plural: string): string =>
      `${group}${ns === undefined ? '' : `/namespaces/${ns}`}/${plural}`;
    const make = <T extends KubeObject>(
      p: string,
      list: ListFn<T>,
      onChange: (type: 'add' | 'update' | 'delete', o: T) => void,
      labelSelector?: string,
    ): Reflector<T> =>
      new Reflector<T>(this.kubeConfig, {
        path: p,
        list,
        onChange,
        onRelist: () => this.#resyncAll(),
        onError: () => this.metrics.inc('reconnects'),
        ...(labelSelector ? { labelSelector } : {}),
      });
    // Typed lists carry client-node's model classes; the fields read here have the same names and
    // shapes as in raw watch events, which is all the narrow object types describe.
    const asList = <T extends KubeObject>(
      p: Promise<{ items: unknown[] }>,
    ): Promise<KubernetesListObject<T>> => p as Promise<KubernetesListObject<T>>;
    const leaseSelector = `${LEASE_OWNER_LABEL}=${LEASE_OWNER}`;
    const slices = make<EndpointSlice>(
      path('/apis/discovery.k8s.io/v1', 'endpointslices'),
      () =>
        asList(
          ns === undefined
            ? this.#discovery.listEndpointSliceForAllNamespaces({})
            : this.#discovery.listNamespacedEndpointSlice({ namespace: ns }),
        ),
      (type, o) => this.#onSlice(type, o),
    );
    const services = make<Service>(
      path('/api/v1', 'services'),
      () =>
        asList(
          ns === undefined
            ? this.#core.listServiceForAllNamespaces({})
            : this.#core.listNamespacedService({ namespace: ns }),
        ),
      (_t, o) => this.#markDirty(`${o.metadata?.namespace}/${o.metadata?.name}`),
    );
    const pods = this.#watchPods
      ? make<Pod>(
          path('/api/v1', 'pods'),
          () =>
            asList(
              ns === undefined
                ? this.#core.listPodForAllNamespaces({})
                : this.#core.listNamespacedPod({ namespace: ns }),
            ),
          (_t, o) => this.#markNamespaceDirty(o.metadata?.namespace),
        )
      : undefined;
    const leases = make<Lease>(
      path('/apis/coordination.k8s.io/v1', 'leases'),
      () =>
        asList(
          ns === undefined
            ? this.#coordination.listLeaseForAllNamespaces({ labelSelector: leaseSelector })
            : this.#coordination.listNamespacedLease({ namespace: ns, labelSelector: leaseSelector }),
        ),
      (_t, o) => this.#markNamespaceDirty(o.metadata?.namespace),
      leaseSelector,
    );
    const all = [slices, services, leases, ...(pods ? [pods] : [])];
    for (const r of all) r.start();
    this.#reflectors = {
      slices,
      services,
      pods,
      leases,
      synced: Promise.all(all.map((r) => r.synced)).then(() => {
        this.#synced = true;
      }),
    };
    this.#expiryTimer = setInterval(() => {
      for (const [key, sub] of this.#subs) if (sub.leased) this.#markDirty(key);
    }, EXPIRY_CHECK_MS).unref();
    return this.#reflectors;
  }

  #onSlice(type: 'add' | 'update' | 'delete', o: EndpointSlice): void {
    const id = `${o.metadata?.namespace}/${o.metadata?.name}`;
    const before = this.#serviceOfSlice.get(id);
    const svc = o.metadata?.labels?.[SERVICE_NAME_LABEL];
    const after = svc && type !== 'delete' ? `${o.metadata?.namespace}/${svc}` : undefined;
    if (before && before !== after) {
      this.#slicesByService.get(before)?.delete(id);
      this.#markDirty(before);
    }
    if (after) {
      const m = this.#slicesByService.get(after) ?? new Map<string, EndpointSlice>();
      this.#slicesByService.set(after, m);
      m.set(id, o);
      this.#serviceOfSlice.set(id, after);
      this.#markDirty(after);
    } else this.#serviceOfSlice.delete(id);
  }

  #markNamespaceDirty(namespace: string | undefined): void {
    for (const [key, sub] of this.#subs) if (sub.ref.namespace === namespace) this.#markDirty(key);
  }

  #markDirty(key: string): void {
    if (!this.#subs.has(key)) return;
    this.#dirty.add(key);
    // Coalesce: one recompute per event-loop turn, however many informer events arrived in it.
    this.#flush ??= setImmediate(() => {
      this.#flush = undefined;
      const keys = [...this.#dirty];
      this.#dirty.clear();
      for (const k of keys) {
        const sub = this.#subs.get(k);
        if (sub) this.#update(sub, false);
      }
    });
  }

  #cached(sub: Subscription): Instance[] {
    const r = this.#reflectors!;
    const slices = this.#slicesByService.get(`${sub.ref.namespace}/${sub.ref.name}`)?.values() ?? [];
    const list = [...slices];
    sub.leased = list.some((s) => s.metadata?.labels?.[LEASE_LABEL]);
    return this.#compute(sub.ref, list, {
      pods: (ns, name) => r.pods?.get(name, ns),
      leases: (ns, name) => r.leases.get(name, ns),
      service: r.services.get(sub.ref.name, sub.ref.namespace),
    });
  }

  /** Recomputes a subscription; sends deltas, or (after a re-list) a resync, or the first snapshot. */
  #update(sub: Subscription, resync: boolean): void {
    if (this.#closed || !this.#synced) return;
    const next = this.#cached(sub);
    const added: Instance[] = [];
    const updated: Instance[] = [];
    const seen = new Set<string>();
    for (const i of next) {
      seen.add(i.id);
      const prev = sub.state.get(i.id);
      if (!prev) added.push(i);
      else if (!instanceEqual(prev, i)) updated.push(i);
    }
    const removed = [...sub.state.keys()].filter((id) => !seen.has(id));
    const changed = added.length + updated.length + removed.length > 0;
    sub.state.clear();
    for (const i of next) sub.state.set(i.id, i);
    if (changed || resync || !sub.ready) sub.revision = ++this.#revision;
    const wasReady = sub.ready;
    sub.ready = true;
    for (const ch of sub.channels) {
      if (sub.waiting.has(ch)) ch.pushInitial();
      else if (!wasReady) continue;
      else if (resync) ch.pushResync('compacted');
      else if (changed) ch.pushDelta({ revision: sub.revision, added, updated, removed });
    }
    sub.waiting.clear();
  }

  #resyncAll(): void {
    for (const sub of this.#subs.values()) if (sub.ready) this.#update(sub, true);
  }

  // ---- lifecycle ----

  /** Deletes this client's registrations and Leases, ends every watch. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const leases = await Promise.all([...this.#leases.values()].map((p) => p.catch(() => undefined)));
    await this.#shutdown();
    for (const held of leases) {
      if (!held) continue;
      for (const key of held.slices.keys()) {
        const [namespace, name] = key.split('/') as [string, string];
        await this.#discovery.deleteNamespacedEndpointSlice({ name, namespace }).catch(() => undefined);
      }
      await this.#coordination
        .deleteNamespacedLease({ name: held.name, namespace: held.namespace })
        .catch(() => undefined);
    }
  }

  /** Test seam: dies without deleting anything (its Leases then expire, as a crashed process's would). */
  async abandon(): Promise<void> {
    if (this.#closed) return;
    await this.#shutdown();
  }

  /** Test seam: stops the EndpointSlice watch (keeping cache and resourceVersion) until resumeWatch(). */
  async pauseWatch(): Promise<void> {
    await this.#reflectors?.slices.stop();
  }

  resumeWatch(): void {
    this.#reflectors?.slices.start();
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    for (const p of this.#leases.values()) void p.then((h) => clearTimeout(h.timer)).catch(() => undefined);
    clearInterval(this.#expiryTimer);
    if (this.#flush) clearImmediate(this.#flush);
    const r = this.#reflectors;
    this.#reflectors = undefined;
    if (r) await Promise.all([r.slices, r.services, r.leases, r.pods].map((x) => x?.stop()));
    for (const sub of this.#subs.values()) for (const ch of [...sub.channels]) ch.end();
    this.#subs.clear();
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RegistryError('REG_ERR_TIMEOUT', `kubernetes ${what}: no answer in ${this.#timeoutMs} ms`),
          ),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([fn(), deadline]);
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      if (this.#closed) throw new RegistryError('REG_ERR_CLOSED', 'registry closed', { cause: err });
      const status = statusOf(err);
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new RegistryError('REG_ERR_UNAVAILABLE', `kubernetes ${what}: ${status ?? ''} ${msg}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new RegistryError('REG_ERR_CLOSED', 'registry closed');
  }
}
