// Cell closure: keep traffic inside the caller's cell while the cell can take it, fail over by Envoy
// priority to the caller's region, then to everywhere.
//
// Why priorities rather than filtering alone: Envoy already knows how to spill load from priority 0 to
// 1 to 2 as health drops (overprovisioning factor), so we hand it levels instead of re-deciding on every
// health flap. We still *omit* the outer levels while the cell has enough healthy endpoints: that is
// what keeps a proxy's memory and push volume proportional to its cell, not to the whole fleet.

import type { Instance, Watch, WatchEvent } from './types.js';
import { LABEL_CELL, LABEL_REGION, LABEL_ZONE } from './types.js';

/** Envoy priority levels used by the closure. */
export const PRIORITY_CELL = 0;
export const PRIORITY_REGION = 1;
export const PRIORITY_GLOBAL = 2;

export interface CellPolicy {
  /** The watcher's own cell (label `cell`). */
  readonly cell: string;
  /** The watcher's region (label `region`); without it, failover goes from the cell straight to global. */
  readonly region?: string;
  /** Healthy endpoints a level needs to be used alone. Default 1. */
  readonly minHealthy?: number;
  /**
   * Alternatively, the fraction of the service's healthy endpoints a level needs (0..1), e.g. 0.1 so
   * that a cell holding 2 of 200 healthy endpoints does not take its whole share of callers. Default 0.
   */
  readonly minHealthyFraction?: number;
}

export interface PrioritizedInstance {
  readonly instance: Instance;
  /** Envoy `LocalityLbEndpoints.priority`: 0 cell, 1 region, 2 global. */
  readonly priority: number;
}

const healthy = (i: Instance): boolean => i.health === 'healthy';

/**
 * Which instances a watcher in `policy.cell` should see, at which priority. Pure: same input, same
 * output, in input order.
 */
export function cellClosure(instances: readonly Instance[], policy: CellPolicy): PrioritizedInstance[] {
  const totalHealthy = instances.reduce((n, i) => n + (healthy(i) ? 1 : 0), 0);
  const need = Math.max(
    policy.minHealthy ?? 1,
    Math.ceil((policy.minHealthyFraction ?? 0) * totalHealthy),
    1,
  );
  const level = (i: Instance): number => {
    if (i.labels[LABEL_CELL] === policy.cell) return PRIORITY_CELL;
    if (policy.region !== undefined && i.labels[LABEL_REGION] === policy.region) return PRIORITY_REGION;
    return PRIORITY_GLOBAL;
  };
  const healthyAt = [0, 0, 0];
  for (const i of instances) if (healthy(i)) healthyAt[level(i)]!++;
  // The outermost level to include: stop at the first level whose cumulative healthy count suffices.
  let maxLevel = PRIORITY_GLOBAL;
  if (healthyAt[PRIORITY_CELL]! >= need) maxLevel = PRIORITY_CELL;
  else if (healthyAt[PRIORITY_CELL]! + healthyAt[PRIORITY_REGION]! >= need) maxLevel = PRIORITY_REGION;
  const out: PrioritizedInstance[] = [];
  for (const i of instances) {
    const p = level(i);
    if (p <= maxLevel) out.push({ instance: i, priority: p });
  }
  return out;
}

/** A view event of a cell-closed watch: the full closed set after each upstream event. */
export interface CellViewEvent {
  /** The upstream event that produced this view (`snapshot`, `delta` or `resync`). */
  readonly cause: WatchEvent['type'];
  readonly revision: number;
  readonly endpoints: readonly PrioritizedInstance[];
  /** Ids whose presence or priority changed versus the previous view (all of them on the first view). */
  readonly changed: readonly string[];
}

/**
 * Applies cell closure over a watch. Memory is one map of the service's instances (bounded by the
 * service) plus the last view; upstream buffering and coalescing stay the watch's job. Views where
 * nothing visible changed (a change in another cell while closed) are not yielded.
 */
export async function* cellWatch(
  watch: Watch,
  policy: CellPolicy,
): AsyncGenerator<CellViewEvent, void, undefined> {
  const state = new Map<string, Instance>();
  let previous = new Map<string, PrioritizedInstance>();
  let first = true;
  try {
    for await (const ev of watch) {
      if (ev.type === 'delta') {
        for (const i of ev.added) state.set(i.id, i);
        for (const i of ev.updated) state.set(i.id, i);
        for (const id of ev.removed) state.delete(id);
      } else {
        state.clear();
        for (const i of ev.instances) state.set(i.id, i);
      }
      const endpoints = cellClosure([...state.values()], policy);
      const next = new Map(endpoints.map((p) => [p.instance.id, p]));
      const changed: string[] = [];
      for (const [id, p] of next) {
        const old = previous.get(id);
        if (!old || old.priority !== p.priority || old.instance !== p.instance) changed.push(id);
      }
      for (const id of previous.keys()) if (!next.has(id)) changed.push(id);
      previous = next;
      if (!first && changed.length === 0 && ev.type === 'delta') continue;
      first = false;
      yield { cause: ev.type, revision: ev.revision, endpoints, changed };
    }
  } finally {
    watch.close();
  }
}

export { LABEL_CELL, LABEL_REGION, LABEL_ZONE };
