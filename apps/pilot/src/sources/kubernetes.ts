// Config from a Kubernetes cluster: @strait/config's watchKubernetesConfig (informers over Istio's
// networking.istio.io/v1 kinds and Strait's RpcRoute, coalesced batches, retries, CRDs that appear
// later) feeding its own ConfigStore, so a bad object is rejected with field paths and its last good
// version stays, exactly as with files. This adapter adds what the pilot needs: a bounded wait for the
// first lists (a cluster that never answers fails startup with a coded error instead of hanging),
// logs, metrics, and the ConfigState shape the pilot merges with the directory's.
// Endpoints (Services/EndpointSlices) are a registry (`--registry kubernetes://`), not config.
import {
  type KubernetesConfigUpdate,
  type KubernetesConfigWatcher,
  watchKubernetesConfig,
} from '@strait/config';
import { PilotError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { type ConfigState, rejectionsOf } from './config.js';

const CLOSE_WITHIN_MS = 2000;

export class KubernetesConfigSource {
  private watcher: KubernetesConfigWatcher | undefined;

  constructor(
    private readonly kubeconfigPath: string,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly onChange: (state: ConfigState) => void,
    /** Longest wait for the first list of every kind. */
    private readonly startTimeoutMs = 30_000,
  ) {}

  async start(): Promise<ConfigState> {
    let started = false;
    try {
      this.watcher = watchKubernetesConfig({
        kubeconfig: this.kubeconfigPath,
        onUpdate: (u) => {
          this.report(u);
          if (started) this.onChange(this.state(u));
        },
        onError: (kind, err) =>
          this.log.warn('kubernetes list/watch failed, retrying', {
            kind,
            error: String((err as Error)?.message ?? err),
            code: 'PILOT_ERR_CONFIG_SOURCE',
          }),
      });
    } catch (err) {
      throw new PilotError(
        'PILOT_ERR_CONFIG_SOURCE',
        `--kubeconfig ${this.kubeconfigPath}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.startTimeoutMs);
    });
    const first = await Promise.race([this.watcher.ready, timeout]);
    clearTimeout(timer);
    if (!first) {
      await this.close();
      throw new PilotError(
        'PILOT_ERR_CONFIG_SOURCE',
        `the cluster of ${this.kubeconfigPath} did not list the config kinds within ${this.startTimeoutMs} ms`,
      );
    }
    if (first.absentKinds.length > 0) {
      this.log.info('config kinds without a CRD in the cluster (watched until they appear)', {
        kinds: first.absentKinds.join(','),
      });
    }
    started = true;
    return this.state(first);
  }

  /**
   * Stops the informers. Bounded: a reflector waiting on a cluster that does not answer must not hold
   * the pilot's shutdown (or a failed startup) hostage.
   */
  async close(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    if (!w) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      w.close().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_WITHIN_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  private state(u: KubernetesConfigUpdate): ConfigState {
    const files = new Map(u.objects.map((s) => [s.object, s.source.file] as const));
    return {
      generation: u.generation,
      objects: u.objects.map((s) => s.object),
      files,
      // Every current rejection, not only this batch's: /debug/configz shows the standing state.
      rejected: rejectionsOf(this.watcher?.store.rejected() ?? u.rejected),
      stale: u.stale.map((r) => `${r.kind}/${r.namespace}/${r.name}`),
    };
  }

  private report(u: KubernetesConfigUpdate): void {
    for (const c of u.changes) this.metrics.inc('pilot_k8s_cfg_events', { type: c.kind, event: c.type });
    for (const r of rejectionsOf(u.rejected)) {
      this.log.warn('config rejected', {
        file: r.file,
        object: r.object,
        field: r.field,
        code: r.code,
        reason: r.reason,
      });
    }
    this.metrics.set(
      'pilot_total_rejected_configs',
      this.watcher?.store.rejected().length ?? u.rejected.length,
    );
  }
}
