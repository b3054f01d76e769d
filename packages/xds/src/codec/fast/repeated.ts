// Repeated length-delimited fields at the byte level, for servers that share encoded pieces between
// messages: building the entries of one field from pre-encoded messages (protobuf fields concatenate),
// and finding one field's contiguous run of entries inside an encoded message without decoding the rest.
import { isUtf8 } from 'node:buffer';
import { Abandon, ByteReader, ByteWriter, varint32Size } from './wire.js';

const LENGTH_DELIMITED = 2;

/** The entries of repeated field `field` holding `parts` (tag, length, bytes each), concatenated. */
export function encodeRepeatedBytes(field: number, parts: readonly Uint8Array[]): Buffer {
  const tag = (field << 3) | LENGTH_DELIMITED;
  const tagSize = varint32Size(tag);
  let total = 0;
  for (const p of parts) total += tagSize + varint32Size(p.length) + p.length;
  const w = new ByteWriter(Buffer.allocUnsafe(total));
  for (const p of parts) {
    w.varint32(tag);
    w.varint32(p.length);
    w.raw(p);
  }
  return w.buf;
}

/** Where a field's entries lie in an encoded message: [start, end) and how many. */
export interface RepeatedRun {
  readonly start: number;
  readonly end: number;
  readonly count: number;
}

/**
 * The run of length-delimited entries of `field` at the top level of `bytes`, when they are
 * contiguous (as encoders write repeated fields); undefined when absent, interleaved with other
 * fields, or when the message holds anything unusual (left to the generated decoder).
 */
export function findRepeatedRun(bytes: Uint8Array, field: number): RepeatedRun | undefined {
  const r = new ByteReader(bytes);
  const end = bytes.length;
  let start = -1;
  let runEnd = -1;
  let count = 0;
  try {
    while (r.pos < end) {
      const fieldStart = r.pos;
      const key = r.varint32(end);
      const wire = key & 7;
      if (wire === 0) r.varint32(end);
      else if (wire === 1) r.pos += 8;
      else if (wire === 5) r.pos += 4;
      else if (wire === LENGTH_DELIMITED) r.pos = r.delimited(end);
      else return undefined;
      if (r.pos > end) return undefined;
      if (key >>> 3 === field && wire === LENGTH_DELIMITED) {
        if (start === -1) start = fieldStart;
        else if (runEnd !== fieldStart) return undefined;
        runEnd = r.pos;
        count++;
      }
    }
  } catch (err) {
    if (err instanceof Abandon) return undefined;
    throw err;
  }
  return start === -1 ? undefined : { start, end: runEnd, count };
}

/**
 * The strings of a run found by `findRepeatedRun`, in order. A string that is not valid UTF-8 is an
 * error naming its index, as the generated decoder rejects it too.
 */
export function decodeRepeatedStrings(run: Uint8Array): string[] {
  const buf = Buffer.from(run.buffer, run.byteOffset, run.byteLength);
  const r = new ByteReader(buf);
  const out: string[] = [];
  try {
    while (r.pos < buf.length) {
      r.varint32(buf.length);
      const stop = r.delimited(buf.length);
      const slice = buf.subarray(r.pos, stop);
      if (!isUtf8(slice)) throw new Error(`resource name ${out.length} is not valid UTF-8`);
      out.push(slice.toString('utf8'));
      r.pos = stop;
    }
  } catch (err) {
    if (err instanceof Abandon) throw new Error('malformed repeated string field');
    throw err;
  }
  return out;
}
