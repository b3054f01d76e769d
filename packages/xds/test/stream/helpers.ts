// Test fixtures for the stream state: real Envoy resources packed in Any, snapshots built from a
// name → content table, and a name reader like the one the codec will provide.
import { envoy } from '../../src/gen/protos.js';
import {
  type Any,
  type ApplyUpdate,
  CLUSTER_TYPE_URL,
  createNonceSource,
  LISTENER_TYPE_URL,
  type ResourceError,
  type ResourceSnapshot,
  type ResourceUpdate,
  type VersionedResource,
} from '../../src/stream/index.js';
import { TypeUrl } from '../../src/type-urls.js';

export const LDS = LISTENER_TYPE_URL;
export const CDS = CLUSTER_TYPE_URL;
export const RDS = TypeUrl.RouteConfiguration;
export const EDS = TypeUrl.ClusterLoadAssignment;

const v3 = envoy.config;

/** Packs a resource of the given type whose content varies with `content`. */
export function pack(typeUrl: string, name: string, content: string): Any {
  let value: Uint8Array;
  if (typeUrl === LDS) value = v3.listener.v3.Listener.encode({ name, statPrefix: content }).finish();
  else if (typeUrl === CDS) value = v3.cluster.v3.Cluster.encode({ name, altStatName: content }).finish();
  else if (typeUrl === RDS)
    value = v3.route.v3.RouteConfiguration.encode({ name, internalOnlyHeaders: [content] }).finish();
  else if (typeUrl === EDS)
    value = v3.endpoint.v3.ClusterLoadAssignment.encode({
      clusterName: name,
      endpoints: [{ locality: { zone: content } }],
    }).finish();
  else throw new Error(`no fixture for ${typeUrl}`);
  return { type_url: typeUrl, value };
}

/** Reads the name of a packed resource, as the codec's decoders will. */
export function resourceName(resource: Any): string | undefined {
  const value = resource.value ?? new Uint8Array();
  try {
    switch (resource.type_url) {
      case LDS:
        return v3.listener.v3.Listener.decode(value).name;
      case CDS:
        return v3.cluster.v3.Cluster.decode(value).name;
      case RDS:
        return v3.route.v3.RouteConfiguration.decode(value).name;
      case EDS:
        return v3.endpoint.v3.ClusterLoadAssignment.decode(value).clusterName;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Reads the content a fixture was packed with (to check what a client applied). */
export function contentOf(resource: Any): string {
  const value = resource.value ?? new Uint8Array();
  switch (resource.type_url) {
    case LDS:
      return v3.listener.v3.Listener.decode(value).statPrefix;
    case CDS:
      return v3.cluster.v3.Cluster.decode(value).altStatName;
    case RDS:
      return v3.route.v3.RouteConfiguration.decode(value).internalOnlyHeaders[0] ?? '';
    case EDS:
      return v3.endpoint.v3.ClusterLoadAssignment.decode(value).endpoints[0]?.locality?.zone ?? '';
    default:
      return '';
  }
}

/** A snapshot from `{ name: content }`; the content doubles as the version. */
export function snapshot(typeUrl: string, table: Record<string, string>): ResourceSnapshot {
  const map = new Map<string, VersionedResource>();
  for (const [name, content] of Object.entries(table)) {
    map.set(name, { name, version: content, resource: pack(typeUrl, name, content) });
  }
  return map;
}

/** Deterministic nonces n1, n2, ... */
export function nonces(prefix = 'n'): () => string {
  let counter = 0;
  return () => {
    counter += 1;
    return `${prefix}${counter}`;
  };
}

export { createNonceSource };

/**
 * A fake proxy: keeps applied resources by name, rejects resources whose content is in `reject`,
 * and records every update it was given.
 */
export class FakeProxy {
  readonly applied = new Map<string, string>();
  readonly updates: ResourceUpdate[] = [];
  reject = new Set<string>();

  readonly apply: ApplyUpdate = (update) => {
    this.updates.push(update);
    const errors: ResourceError[] = [];
    for (const resource of update.updated) {
      const content = contentOf(resource.resource);
      if (this.reject.has(content)) {
        errors.push({ name: resource.name, message: `content ${content} is invalid` });
        continue;
      }
      this.applied.set(resource.name, content);
    }
    for (const name of update.removed) this.applied.delete(name);
    return errors;
  };

  view(): Record<string, string> {
    return Object.fromEntries([...this.applied.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
