// Config from a Kubernetes cluster: Istio's networking.istio.io/v1 kinds and Strait's RpcRoute as
// custom resources, through @kubernetes/client-node informers (list, then watch from the list's
// resourceVersion; client-node re-lists on 410 Gone and reconnects with backoff). Every event goes
// through @strait/config's store, so a bad object is rejected with field paths and its last good
// version stays, exactly as with files. Endpoints from Services/EndpointSlices are a registry
// (`--registry kubernetes://...`, @strait/registry), not config.
import {
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { type ConfigKind, type ConfigObject, ConfigStore } from '@strait/config';
import { PilotError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { type ConfigState, type RejectedObject, rejectionsOf } from './config.js';

interface Resource {
  readonly kind: ConfigKind;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}

export const KUBE_RESOURCES: readonly Resource[] = [
  { kind: 'VirtualService', group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' },
  { kind: 'DestinationRule', group: 'networking.istio.io', version: 'v1', plural: 'destinationrules' },
  { kind: 'ServiceEntry', group: 'networking.istio.io', version: 'v1', plural: 'serviceentries' },
  { kind: 'Sidecar', group: 'networking.istio.io', version: 'v1', plural: 'sidecars' },
  { kind: 'RpcRoute', group: 'mesh.strait.io', version: 'v1alpha1', plural: 'rpcroutes' },
];

const MAX_BACKOFF_MS = 30_000;

interface KubeDoc extends KubernetesObject {
  spec?: unknown;
}

/** The fields our kinds define: server-side bookkeeping (managedFields, status) is not config. */
function configView(obj: KubeDoc, kind: ConfigKind): Record<string, unknown> {
  const m = obj.metadata ?? {};
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind ?? kind,
    metadata: {
      name: m.name,
      namespace: m.namespace ?? 'default',
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.annotations ? { annotations: m.annotations } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
    },
    spec: obj.spec,
  };
}

function objectSource(kind: string, obj: KubeDoc): string {
  return `kubernetes:${kind}/${obj.metadata?.namespace ?? 'default'}/${obj.metadata?.name ?? ''}`;
}

export class KubernetesConfigSource {
  readonly store = new ConfigStore();
  private readonly informers: ListWatch<KubeDoc>[] = [];
  private generation = 0;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly kubeconfigPath: string,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly onChange: (state: ConfigState) => void,
  ) {}

  /** Lists every kind (resolves when all first lists are in), then keeps watching. */
  async start(): Promise<ConfigState> {
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(this.kubeconfigPath);
    } catch (err) {
      throw new PilotError(
        'PILOT_ERR_CONFIG_SOURCE',
        `--kubeconfig ${this.kubeconfigPath}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const api = kc.makeApiClient(CustomObjectsApi);
    const watch = new Watch(kc);
    let started = false;
    for (const r of KUBE_RESOURCES) {
      const path = `/apis/${r.group}/${r.version}/${r.plural}`;
      const list = () =>
        api.listClusterCustomObject({ group: r.group, version: r.version, plural: r.plural });
      // autoStart off: handlers must be in place before the first list's "add" events.
      const informer = new ListWatch<KubeDoc>(
        path,
        watch,
        list as () => Promise<{ items: KubeDoc[]; metadata?: { resourceVersion?: string } }>,
        false,
      );
      const upsert = (obj: KubeDoc) => {
        this.metrics.inc('pilot_k8s_cfg_events', { type: r.kind, event: 'update' });
        // The "file" of a cluster object is its identity, so /debug/configz says where a rejection is.
        const source = { file: objectSource(r.kind, obj), index: 0 };
        const result = this.store.apply([{ value: configView(obj, r.kind), source }]);
        for (const rej of result.rejected) {
          for (const e of rej.errors) {
            this.log.warn('config rejected', {
              object: `${r.kind}/${obj.metadata?.namespace}/${obj.metadata?.name}`,
              field: e.path,
              code: e.code,
              reason: e.message,
            });
          }
        }
        if (started) this.emit();
      };
      informer.on('add', upsert);
      informer.on('update', upsert);
      informer.on('delete', (obj) => {
        this.metrics.inc('pilot_k8s_cfg_events', { type: r.kind, event: 'delete' });
        this.store.delete(r.kind, obj.metadata?.namespace ?? 'default', obj.metadata?.name ?? '');
        if (started) this.emit();
      });
      let backoffMs = 0;
      informer.on('connect', () => {
        if (informer.latestResourceVersion() !== '') backoffMs = 0;
      });
      informer.on('error', (err) => {
        // client-node gives up on any error but 410 and timeouts (a failed list, a broken watch, a CRD
        // that is not installed: 404), so retry with bounded backoff until closed.
        backoffMs = Math.min(backoffMs > 0 ? backoffMs * 2 : 500, MAX_BACKOFF_MS);
        this.log.warn('kubernetes list/watch failed, retrying', {
          resource: path,
          retryInMs: backoffMs,
          error: String((err as Error)?.message ?? err),
          code: 'PILOT_ERR_CONFIG_SOURCE',
        });
        if (this.closed) return;
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (!this.closed) void informer.start();
        }, backoffMs);
        t.unref();
        this.timers.add(t);
      });
      this.informers.push(informer);
    }
    await Promise.allSettled(this.informers.map((i) => i.start()));
    // A kind that listed has a resourceVersion; one that did not is retried in the background.
    if (!this.informers.some((i) => i.latestResourceVersion() !== '')) {
      await this.close();
      throw new PilotError(
        'PILOT_ERR_CONFIG_SOURCE',
        `cannot list any config kind from the cluster of ${this.kubeconfigPath}`,
      );
    }
    started = true;
    return this.state();
  }

  state(): ConfigState {
    const files = new Map<ConfigObject, string>();
    const entries = this.store.entries();
    for (const e of entries) files.set(e.object, e.source.file);
    const rejected: RejectedObject[] = rejectionsOf(this.store.rejected());
    return {
      generation: this.generation,
      objects: entries.map((e) => e.object),
      files,
      rejected,
      stale: this.store.stale().map((r) => `${r.kind}/${r.namespace}/${r.name}`),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled(this.informers.map((i) => i.stop()));
  }

  private emit(): void {
    this.generation++;
    const state = this.state();
    this.metrics.set('pilot_total_rejected_configs', state.rejected.length);
    this.onChange(state);
  }
}
