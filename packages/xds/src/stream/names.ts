// Reads a resource's name from its packed bytes without decoding the resource. SotW responses carry
// bare Anys, so the client needs the name before it can tell what changed; decoding every Cluster
// twice (here and in the proxy's apply) would double the cost of a CDS push. Every xDS resource type
// Envoy serves keeps its name in field 1 as a string (Listener, RouteConfiguration, Cluster,
// ClusterLoadAssignment.cluster_name, Secret, VirtualHost, ScopedRouteConfiguration, Runtime).
import type { Any } from './types.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The name in field 1 of a packed resource; undefined if absent or the bytes are malformed. */
export function resourceNameOf(resource: Any): string | undefined {
  const bytes = resource.value;
  if (!bytes) return undefined;
  let pos = 0;
  let name: string | undefined;
  const varint = (): number | undefined => {
    let result = 0;
    let shift = 0;
    while (pos < bytes.length && shift < 64) {
      const byte = bytes[pos++] as number;
      // Past 2^53 the value is unusable as a length anyway; keep the arithmetic in float range.
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      if (varint() === undefined) return undefined;
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      const length = varint();
      if (length === undefined || pos + length > bytes.length) return undefined;
      if (field === 1) {
        try {
          // The last occurrence wins, as protobuf merges repeated scalar fields.
          name = decoder.decode(bytes.subarray(pos, pos + length));
        } catch {
          return undefined;
        }
      }
      pos += length;
    } else {
      // Groups (3, 4) are not used by xDS resources; anything else is corrupt.
      return undefined;
    }
    if (pos > bytes.length) return undefined;
  }
  return name;
}
