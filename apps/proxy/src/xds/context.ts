// What the xDS appliers write into: the proxy's cluster manager, listener manager, route store and
// applied-config record. An interface rather than StraitProxy itself so the bench and white-box tests
// can drive the appliers without sockets.
import type { AppliedConfig } from '../config/applied.js';
import type { RouteStore } from '../context.js';
import type { ConfigIssue } from '../errors.js';
import type { ListenerManager } from '../listener/listener-manager.js';
import type { StatsStore } from '../stats/store.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';

export interface ApplyTargets {
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  readonly routes: RouteStore;
  readonly applied: AppliedConfig;
  readonly stats: StatsStore;
  readonly log: (msg: string) => void;
}

/** A NACK's per-resource reason: every issue as `field: reason [CODE]` (the name is added by the stream). */
export function issuesMessage(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${i.path || '(root)'}: ${i.message} [${i.code}]`).join('; ');
}

/** Decodes a resource's bytes, turning a protobuf failure into a NACK reason instead of a throw. */
export function decodeResource<T>(
  decode: (b: Uint8Array) => T,
  bytes: Uint8Array,
): { ok: true; value: T } | { ok: false; message: string } {
  try {
    return { ok: true, value: decode(bytes) };
  } catch (err) {
    return { ok: false, message: `(root): cannot decode: ${(err as Error).message} [PROXY_ERR_XDS_DECODE]` };
  }
}

/**
 * A private copy of a resource's bytes. Decoded `bytes` fields are views into the whole gRPC message
 * buffer, so keeping one resource's view (for /config_dump) would keep the entire response alive:
 * with SotW pushes that is every response that still holds one current resource. Copying once per
 * changed resource bounds what is retained to the resources themselves.
 */
export function ownBytes(v: Uint8Array | null | undefined): Uint8Array {
  return v ? new Uint8Array(v) : new Uint8Array();
}
