// Byte-level helpers shared by the hand-written fast paths. They reproduce protobufjs' own choices
// (its string length and UTF-8 writer for short strings, Buffer's for long ones) so a fast path
// produces byte-identical output to the generated encoder.
import $protobuf from 'protobufjs/minimal.js';

const utf8 = $protobuf.util.utf8 as unknown as {
  length(s: string): number;
  write(s: string, buf: Uint8Array, offset: number): number;
  readStrict(buf: Uint8Array, start: number, end: number): string;
};

/** Thrown inside a fast path to hand the whole message to the generated code. */
export class Abandon {}

const ABANDON = new Abandon();

export function abandon(): never {
  throw ABANDON;
}

export function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes a string takes on the wire, computed the way protobufjs' BufferWriter does. */
export function stringSize(s: unknown): number {
  if (typeof s !== 'string') abandon();
  const n = s.length;
  if (n >= 0x80) return Buffer.byteLength(s);
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) >= 0x80) return utf8.length(s);
  }
  return n;
}

export class ByteWriter {
  pos = 0;

  constructor(readonly buf: Buffer) {}

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  varint32(value: number): void {
    let v = value >>> 0;
    const buf = this.buf;
    while (v > 127) {
      buf[this.pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** A string whose byte length `len` was computed by stringSize. */
  string(s: string, len: number): void {
    this.varint32(len);
    const buf = this.buf;
    let pos = this.pos;
    if (len === s.length) {
      for (let i = 0; i < len; i++) buf[pos++] = s.charCodeAt(i);
    } else if (s.length < 0x80) {
      pos += utf8.write(s, buf, pos);
    } else {
      pos += buf.write(s, pos, 'utf8');
    }
    this.pos = pos;
  }

  raw(bytes: Uint8Array): void {
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

/** Cursor over bytes for the fast decoders; anything unusual abandons to the generated decoder. */
export class ByteReader {
  pos = 0;

  constructor(readonly buf: Uint8Array) {}

  /** A varint of at most 5 bytes as uint32 (longer ones are left to the generated code). */
  varint32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= end) abandon();
      const b = buf[pos++]!;
      if (shift === 28) {
        if (b > 15) abandon();
        value = (value | (b << 28)) >>> 0;
        this.pos = pos;
        return value;
      }
      value |= (b & 127) << shift;
      if (b < 128) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    return abandon();
  }

  /** A length prefix and the end position of what it delimits, within `end`. */
  delimited(end: number): number {
    const len = this.varint32(end);
    const stop = this.pos + len;
    if (len > 0x7fffffff || stop > end) abandon();
    return stop;
  }

  string(end: number): string {
    const stop = this.delimited(end);
    const buf = this.buf;
    const start = this.pos;
    this.pos = stop;
    const n = stop - start;
    if (n === 0) return '';
    if (n <= 32) {
      let ascii = true;
      for (let i = start; i < stop; i++) {
        if (buf[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        let s = '';
        for (let i = start; i < stop; i++) s += String.fromCharCode(buf[i]!);
        return s;
      }
    }
    try {
      return utf8.readStrict(buf, start, stop);
    } catch {
      return abandon();
    }
  }
}
