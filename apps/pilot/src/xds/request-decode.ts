// Decoding of (Delta)DiscoveryRequests with a cache for their long name lists. A SotW sidecar repeats
// its whole EDS subscription (10,000 cluster names, ~0.5 MB) in every ACK, and a thousand sidecars send
// the same list: decoding each copy into 10,000 fresh strings was a large share of the pilot's CPU and
// garbage. Equal list bytes now decode to one shared, frozen array (whose strings the subscription
// sets already hold, so comparing lists is a pointer comparison); everything else in the message
// goes through the generated decoder as before.
import { isUtf8 } from 'node:buffer';

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

function readVarint(b: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= b.length) throw new Error('truncated varint');
    const x = b[at++] as number;
    value += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) return [value, at];
    shift += 7;
    if (shift > 49) throw new Error('varint too long');
  }
}

/** [start, end) of the contiguous run of field-3 entries, or undefined when absent or interleaved. */
function namesRun(b: Uint8Array): { start: number; end: number; count: number } | undefined {
  let at = 0;
  let start = -1;
  let end = -1;
  let count = 0;
  while (at < b.length) {
    const fieldStart = at;
    const [key, afterKey] = readVarint(b, at);
    at = afterKey;
    const wire = key & 7;
    if (wire === 0) at = readVarint(b, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [len, afterLen] = readVarint(b, at);
      at = afterLen + len;
    } else return undefined; // groups or garbage: leave it to the generated decoder
    if (at > b.length) return undefined;
    if (key >>> 3 === NAMES_FIELD && wire === 2) {
      if (start === -1) start = fieldStart;
      else if (end !== fieldStart) return undefined;
      end = at;
      count++;
    }
  }
  return start === -1 ? undefined : { start, end, count };
}

function decodeNames(run: Uint8Array): string[] {
  const names: string[] = [];
  const buf = Buffer.from(run.buffer, run.byteOffset, run.byteLength);
  let at = 0;
  while (at < buf.length) {
    at = readVarint(buf, at)[1];
    const [len, afterLen] = readVarint(buf, at);
    const slice = buf.subarray(afterLen, afterLen + len);
    if (!isUtf8(slice)) throw new Error(`resource name ${names.length} is not valid UTF-8`);
    names.push(slice.toString('utf8'));
    at = afterLen + len;
  }
  return names;
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
    const run = namesRun(bytes);
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
    const names = Object.freeze(decodeNames(listBytes));
    if (this.entries.size >= CACHE_LIMIT) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { bytes: Buffer.from(listBytes), names });
    return names;
  }
}
