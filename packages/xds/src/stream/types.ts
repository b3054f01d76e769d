// Shared vocabulary of the stream state: the narrow resource shape both sides exchange, the message
// types at the boundary (the generated Envoy ones), limits, and the few helpers both sides need.
import { randomUUID } from 'node:crypto';
import type { envoy, google } from '../gen/protos.js';
import { TypeUrl } from '../type-urls.js';
import { XdsStreamError, XdsStreamErrorCode } from './errors.js';

export type Any = google.protobuf.Any.$Properties;
export type Status = google.rpc.Status.$Properties;
export type DiscoveryRequest = envoy.service.discovery.v3.DiscoveryRequest.$Properties;
export type DiscoveryResponse = envoy.service.discovery.v3.DiscoveryResponse.$Properties;
export type DeltaDiscoveryRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties;
export type DeltaDiscoveryResponse = envoy.service.discovery.v3.DeltaDiscoveryResponse.$Properties;
export type DeltaResource = envoy.service.discovery.v3.Resource.$Properties;

/**
 * One named resource with a version. The server's snapshot is made of these; `version` is any string
 * that changes when the resource changes (a content hash works best: equal content, equal version).
 */
export interface VersionedResource {
  readonly name: string;
  readonly version: string;
  readonly resource: Any;
  /**
   * A 48-bit hash of (name, version), when the producer has one at hand (see `resourceDigest`);
   * servers that hand the same resource object to many streams set it once so no stream rehashes.
   */
  readonly digest?: number;
}

/** The resources of one type a server could send to one client, by name. */
export type ResourceSnapshot = ReadonlyMap<string, VersionedResource>;

/** The special name that subscribes to every resource the server deems relevant (LDS and CDS). */
export const WILDCARD = '*';

export const LISTENER_TYPE_URL = TypeUrl.Listener;
export const CLUSTER_TYPE_URL = TypeUrl.Cluster;

/**
 * The protocol gives wildcard subscriptions, and SotW "absence means deletion", only to Listener and
 * Cluster. Every other type is "quasi-incremental": absence from a response means nothing.
 */
export function isFullStateType(typeUrl: string): boolean {
  return typeUrl === LISTENER_TYPE_URL || typeUrl === CLUSTER_TYPE_URL;
}

export interface StreamLimits {
  /** Most resource names one type may track (subscriptions, client-held versions). */
  readonly maxResourceNamesPerType: number;
  /** Most distinct type URLs one connection may use. */
  readonly maxTypesPerConnection: number;
  /** Longest resource name accepted, in characters. */
  readonly maxResourceNameLength: number;
  /** Delta server: most unacknowledged responses remembered per type; older ones are forgotten. */
  readonly maxInFlightResponses: number;
  /** Longest NACK message a client builds; the rest is summarised as a count. */
  readonly maxErrorDetailLength: number;
}

export const DEFAULT_LIMITS: StreamLimits = {
  maxResourceNamesPerType: 100_000,
  maxTypesPerConnection: 32,
  maxResourceNameLength: 4096,
  maxInFlightResponses: 64,
  maxErrorDetailLength: 4096,
};

export function resolveLimits(partial: Partial<StreamLimits> | undefined): StreamLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}

/** Produces nonces; only uniqueness within one stream matters (nonces never survive a reconnect). */
export type NonceSource = () => string;

/**
 * A counter behind a random stream prefix: a nonce from a previous stream that a client echoes by
 * mistake then never matches one of this stream. Share one source across the types of an ADS stream.
 */
export function createNonceSource(prefix: string = randomUUID().slice(0, 8)): NonceSource {
  let counter = 0;
  return () => {
    counter += 1;
    return `${prefix}-${counter}`;
  };
}

/** Time in milliseconds; injected so does-not-exist timers are testable without real time. */
export type Clock = () => number;

const TWO_48 = 2 ** 48;
const digests = new WeakMap<VersionedResource, number>();

/** FNV-1a over a string in two 32-bit lanes with different offsets, folded into 48 bits. */
export function digestOf(name: string, version: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
  };
  mix(name);
  a = Math.imul(a ^ 0, 0x01000193);
  mix(version);
  return (a >>> 0) * 0x10000 + ((b >>> 0) & 0xffff);
}

/** The resource's 48-bit digest: its own `digest`, else computed once per resource object. */
export function resourceDigest(r: VersionedResource): number {
  if (r.digest !== undefined) return r.digest;
  let d = digests.get(r);
  if (d === undefined) {
    d = digestOf(r.name, r.version);
    digests.set(r, d);
  }
  return d;
}

/**
 * An order-independent version for a set of resources: the count and the sum of their digests modulo
 * 2^48. O(n) with no sorting or allocation, which matters when one response carries 10,000
 * resources and a thousand streams each need its version; it changes whenever a resource in the set
 * changes, appears or disappears (barring a 2^-48 collision).
 */
export function setVersion(resources: Iterable<VersionedResource>): string {
  let sum = 0;
  let count = 0;
  for (const r of resources) {
    sum += resourceDigest(r);
    if (sum >= TWO_48) sum -= TWO_48;
    count++;
  }
  return `${count.toString(36)}-${sum.toString(36)}`;
}

const REMOVED = '\u0000removed';

/**
 * A digest of one change (resources sent, names removed), order-independent: two streams sent the
 * same change get the same digest. Delta chains it into system_version_info and keys shared state on it.
 */
export function changeDigest(sent: readonly VersionedResource[], removed: readonly string[]): string {
  const gone = removed.map((name) => ({ name, version: REMOVED, resource: {} }));
  return `${setVersion(sent)}/${setVersion(gone)}`;
}

export function checkTypeUrl(
  expected: string,
  actual: string | null | undefined,
): XdsStreamError | undefined {
  // A missing type_url is allowed on non-aggregated streams, where the RPC method implies the type.
  if (actual === undefined || actual === null || actual === '' || actual === expected) return undefined;
  return new XdsStreamError(
    XdsStreamErrorCode.TypeUrlMismatch,
    `type_url ${actual} sent to state of ${expected}`,
    {
      expected,
      actual,
    },
  );
}

export function checkResourceName(name: string, limits: StreamLimits): XdsStreamError | undefined {
  if (name.length === 0 || name.length > limits.maxResourceNameLength) {
    return new XdsStreamError(
      XdsStreamErrorCode.InvalidResourceName,
      `resource name of length ${name.length} outside 1..${limits.maxResourceNameLength}`,
      { length: name.length, limit: limits.maxResourceNameLength },
    );
  }
  return undefined;
}

/**
 * The names of `names` not yet in `held`, each checked and deduplicated in one linear pass (proxies
 * subscribe to tens of thousands of clusters at once), or the error for the first bad name or for
 * exceeding the per-type limit. Shared by the SotW and Delta clients.
 */
export function newNames(
  typeUrl: string,
  names: readonly string[],
  held: ReadonlySet<string>,
  limits: StreamLimits,
): { ok: true; added: string[] } | { ok: false; error: XdsStreamError } {
  const added = new Set<string>();
  for (const name of names) {
    if (held.has(name) || added.has(name)) continue;
    const bad = checkResourceName(name, limits);
    if (bad) return { ok: false, error: bad };
    added.add(name);
  }
  if (held.size + added.size > limits.maxResourceNamesPerType) {
    return { ok: false, error: tooManyNames(typeUrl, held.size + added.size, limits) };
  }
  return { ok: true, added: [...added] };
}

export function tooManyNames(typeUrl: string, count: number, limits: StreamLimits): XdsStreamError {
  return new XdsStreamError(
    XdsStreamErrorCode.TooManyResourceNames,
    `${count} resource names for ${typeUrl} exceed the limit of ${limits.maxResourceNamesPerType}`,
    { typeUrl, count, limit: limits.maxResourceNamesPerType },
  );
}

/** gRPC INVALID_ARGUMENT: the status code a NACK's error_detail carries. */
export const NACK_STATUS_CODE = 3;
