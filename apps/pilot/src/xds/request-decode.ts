// Decoding of (Delta)DiscoveryRequests with a cache for their long name lists. A SotW sidecar repeats
// its whole EDS subscription (10,000 cluster names, ~0.5 MB) in every ACK, and a thousand sidecars send
// the same list: decoding each copy into 10,000 fresh strings was a large share of the pilot's CPU and
// garbage. Equal list bytes now decode to one shared, frozen array (whose strings the subscription
// sets already hold, so comparing lists is a pointer comparison); everything else in the message
// goes through the generated decoder as before.
import { decodeRepeatedStrings, findRepeatedRun } from '@strait/xds';

/** resource_names (DiscoveryRequest) and resource_names_subscribe (DeltaDiscoveryRequest). */
const NAMES_FIELD = 3;
/** Lists shorter than this are decoded the ordinary way (the cache would not pay for itself). */
const MIN_CACHED = 64;
const CACHE_LIMIT = 256;

export interface NameListCacheStats {
  hits: number;
  misses: number;
  entries: number;
}

interface Entry {
  readonly bytes: Buffer;
  readonly names: readonly string[];
}

export class NameListCache {
  private readonly entries = new Map<string, Entry>();
  private readonly counters = { hits: 0, misses: 0 };

  get stats(): NameListCacheStats {
    return { ...this.counters, entries: this.entries.size };
  }

  /**
   * Decodes `bytes` with `decode`, except a long name list (field 3), which comes from the cache when
   * these exact bytes were seen before, and is set on the message with `assign`.
   */
  decode<T>(
    bytes: Uint8Array,
    decode: (b: Uint8Array) => T,
    assign: (message: T, names: readonly string[]) => void,
  ): T {
    const run = findRepeatedRun(bytes, NAMES_FIELD);
    if (!run || run.count < MIN_CACHED) return decode(bytes);
    const listBytes = Buffer.from(bytes.buffer, bytes.byteOffset + run.start, run.end - run.start);
    const names = this.lookup(listBytes);
    const rest = Buffer.allocUnsafe(bytes.length - listBytes.length);
    rest.set(bytes.subarray(0, run.start), 0);
    rest.set(bytes.subarray(run.end), run.start);
    const message = decode(rest);
    assign(message, names);
    return message;
  }

  private lookup(listBytes: Buffer): readonly string[] {
    // Length plus both ends pick the candidate; a full comparison (memcmp) confirms it.
    const key = `${listBytes.length}|${listBytes.toString('latin1', 0, 48)}|${listBytes.toString('latin1', listBytes.length - 48)}`;
    const hit = this.entries.get(key);
    if (hit?.bytes.equals(listBytes)) {
      this.counters.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.names;
    }
    this.counters.misses++;
    const names = Object.freeze(decodeRepeatedStrings(listBytes));
    if (this.entries.size >= CACHE_LIMIT) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { bytes: Buffer.from(listBytes), names });
    return names;
  }
}
