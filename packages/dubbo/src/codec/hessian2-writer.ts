// A Hessian2 writer that makes the same bytes as Dubbo's hessian-lite for the values a Dubbo envelope and
// common arguments carry: the compact int/long/double forms, CESU-8 strings chunked at 0x8000 units,
// untyped 'H' maps for HashMap and typed 'M' maps for other map classes, compact fixed-length lists.
// Byte-for-byte parity is what lets a decoded-then-re-encoded frame equal the frame Java sent.
import { DubboEncodeError } from '../errors.js';

/** Bytes already in Hessian2 form, written verbatim (e.g. arguments a proxy forwards without decoding). */
export class HessianRaw {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

/** A value with its Java class: `{ $class: 'long', $: 5 }`, `{ $class: 'java.util.LinkedHashMap', $: {...} }`. */
export interface JavaTyped {
  $class: string;
  $: unknown;
}

export function isJavaTyped(v: unknown): v is JavaTyped {
  return (
    typeof v === 'object' && v !== null && typeof (v as { $class?: unknown }).$class === 'string' && '$' in v
  );
}

const INT_CLASSES = new Set([
  'int',
  'short',
  'byte',
  'java.lang.Integer',
  'java.lang.Short',
  'java.lang.Byte',
]);
const LONG_CLASSES = new Set(['long', 'java.lang.Long']);
const DOUBLE_CLASSES = new Set(['double', 'float', 'java.lang.Double', 'java.lang.Float']);
const BOOL_CLASSES = new Set(['boolean', 'java.lang.Boolean']);
const UNTYPED_MAPS = new Set(['java.util.HashMap', 'java.util.Map']);
const UNTYPED_LISTS = new Set(['java.util.ArrayList', 'java.util.List', 'java.util.Collection']);

const MAX_LONG = (1n << 63n) - 1n;
const MIN_LONG = -(1n << 63n);
const STRING_CHUNK = 0x8000;
const MAX_WRITE_DEPTH = 128;
const SURROGATE = /[\ud800-\udfff]/;

export class Hessian2Writer {
  private buf: Buffer;
  private pos = 0;
  private readonly types = new Map<string, number>();
  private readonly classes = new Map<string, number>();
  /** Containers being written: a cycle (or absurd nesting) becomes a DubboEncodeError, not a stack overflow. */
  private depth = 0;

  constructor(initialSize = 256, knownTypes: readonly string[] = []) {
    this.buf = Buffer.allocUnsafe(initialSize);
    // Types already defined earlier in the same body (e.g. inside raw argument bytes) are referenced by index.
    for (const t of knownTypes) if (!this.types.has(t)) this.types.set(t, this.types.size);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  writeNull(): void {
    this.byte(0x4e);
  }

  writeBoolean(v: boolean): void {
    this.byte(v ? 0x54 : 0x46);
  }

  writeInt(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff)
      throw new DubboEncodeError(`${v} is not a 32-bit int`);
    this.ensure(5);
    const b = this.buf;
    if (v >= -16 && v <= 47) {
      b[this.pos++] = v + 0x90;
    } else if (v >= -2048 && v <= 2047) {
      b[this.pos++] = 0xc8 + (v >> 8);
      b[this.pos++] = v & 0xff;
    } else if (v >= -262144 && v <= 262143) {
      b[this.pos++] = 0xd4 + (v >> 16);
      b[this.pos++] = (v >> 8) & 0xff;
      b[this.pos++] = v & 0xff;
    } else {
      b[this.pos++] = 0x49;
      b.writeInt32BE(v, this.pos);
      this.pos += 4;
    }
  }

  writeLong(value: number | bigint): void {
    const big = typeof value === 'bigint' ? value : Number.isInteger(value) ? BigInt(value) : undefined;
    if (big === undefined || big > MAX_LONG || big < MIN_LONG)
      throw new DubboEncodeError(`${value} is not a 64-bit long`);
    this.ensure(9);
    const b = this.buf;
    if (big >= -8n && big <= 15n) {
      b[this.pos++] = 0xe0 + Number(big);
      return;
    }
    if (big >= -2048n && big <= 2047n) {
      const v = Number(big);
      b[this.pos++] = 0xf8 + (v >> 8);
      b[this.pos++] = v & 0xff;
      return;
    }
    if (big >= -262144n && big <= 262143n) {
      const v = Number(big);
      b[this.pos++] = 0x3c + (v >> 16);
      b[this.pos++] = (v >> 8) & 0xff;
      b[this.pos++] = v & 0xff;
      return;
    }
    if (big >= -0x80000000n && big <= 0x7fffffffn) {
      b[this.pos++] = 0x59;
      b.writeInt32BE(Number(big), this.pos);
      this.pos += 4;
      return;
    }
    b[this.pos++] = 0x4c;
    b.writeBigInt64BE(big, this.pos);
    this.pos += 8;
  }

  /** hessian-lite's choice of form: exact small integers, then "mills" (value * 1000 fits an int), then 8 bytes. */
  writeDouble(v: number): void {
    this.ensure(9);
    const b = this.buf;
    const i = Math.trunc(v);
    if (i === v && i >= -0x80000000 && i <= 0x7fffffff) {
      if (i === 0) {
        b[this.pos++] = 0x5b;
        return;
      }
      if (i === 1) {
        b[this.pos++] = 0x5c;
        return;
      }
      if (i >= -0x80 && i < 0x80) {
        b[this.pos++] = 0x5d;
        b[this.pos++] = i & 0xff;
        return;
      }
      if (i >= -0x8000 && i < 0x8000) {
        b[this.pos++] = 0x5e;
        b.writeInt16BE(i, this.pos);
        this.pos += 2;
        return;
      }
    }
    // Java: int mills = (int) (value * 1000); if (0.001 * mills == value) ... (-0.0 took the 0x5b branch above,
    // as in Java, where (int) -0.0 == -0.0)
    const m = v * 1000;
    if (Number.isFinite(m) && m >= -0x80000000 && m <= 0x7fffffff) {
      const mills = Math.trunc(m);
      if (0.001 * mills === v) {
        b[this.pos++] = 0x5f;
        b.writeInt32BE(mills, this.pos);
        this.pos += 4;
        return;
      }
    }
    b[this.pos++] = 0x44;
    b.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  writeString(s: string | null): void {
    if (s === null) {
      this.writeNull();
      return;
    }
    let offset = 0;
    let left = s.length;
    while (left > STRING_CHUNK) {
      let n = STRING_CHUNK;
      // A chunk never ends on a high surrogate (hessian-lite moves it to the next chunk).
      const tail = s.charCodeAt(offset + n - 1);
      if (tail >= 0xd800 && tail <= 0xdbff) n--;
      this.byte(0x52);
      this.ensure(2);
      this.buf.writeUInt16BE(n, this.pos);
      this.pos += 2;
      this.utf8(s, offset, n);
      offset += n;
      left -= n;
    }
    this.ensure(3);
    if (left <= 31) {
      this.buf[this.pos++] = left;
    } else if (left <= 1023) {
      this.buf[this.pos++] = 0x30 + (left >> 8);
      this.buf[this.pos++] = left & 0xff;
    } else {
      this.buf[this.pos++] = 0x53;
      this.buf.writeUInt16BE(left, this.pos);
      this.pos += 2;
    }
    this.utf8(s, offset, left);
  }

  /** Java's Hessian UTF-8: every UTF-16 unit separately, so a surrogate pair becomes two 3-byte sequences. */
  private utf8(s: string, offset: number, n: number): void {
    this.ensure(n * 3);
    const b = this.buf;
    if (n > 8) {
      // Without surrogates, standard UTF-8 is the same bytes as Java's: let the native encoder do it.
      const part = offset === 0 && n === s.length ? s : s.slice(offset, offset + n);
      if (!SURROGATE.test(part)) {
        this.pos += b.write(part, this.pos, 'utf8');
        return;
      }
    }
    let p = this.pos;
    const end = offset + n;
    for (let i = offset; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      }
    }
    this.pos = p;
  }

  writeBinary(v: Uint8Array): void {
    let offset = 0;
    let left = v.length;
    while (left > STRING_CHUNK) {
      this.byte(0x41);
      this.ensure(2);
      this.buf.writeUInt16BE(STRING_CHUNK, this.pos);
      this.pos += 2;
      this.writeRaw(v.subarray(offset, offset + STRING_CHUNK));
      offset += STRING_CHUNK;
      left -= STRING_CHUNK;
    }
    this.ensure(3);
    if (left <= 15) {
      this.buf[this.pos++] = 0x20 + left;
    } else if (left <= 1023) {
      this.buf[this.pos++] = 0x34 + (left >> 8);
      this.buf[this.pos++] = left & 0xff;
    } else {
      this.buf[this.pos++] = 0x42;
      this.buf.writeUInt16BE(left, this.pos);
      this.pos += 2;
    }
    this.writeRaw(v.subarray(offset));
  }

  private writeType(type: string): void {
    const ref = this.types.get(type);
    if (ref !== undefined) {
      this.writeInt(ref);
      return;
    }
    this.types.set(type, this.types.size);
    this.writeString(type);
  }

  /** A map: 'H' when untyped (HashMap), 'M' plus the class name otherwise; entries in iteration order. */
  writeMap(entries: Iterable<readonly [unknown, unknown]>, type?: string): void {
    if (type === undefined || UNTYPED_MAPS.has(type)) {
      this.byte(0x48);
    } else {
      this.byte(0x4d);
      this.writeType(type);
    }
    this.enter();
    for (const [k, v] of entries) {
      this.writeValue(k);
      this.writeValue(v);
    }
    this.depth--;
    this.byte(0x5a);
  }

  /** A fixed-length list: untyped for ArrayList (as hessian-lite writes it), typed otherwise. */
  writeList(items: readonly unknown[], type?: string): void {
    const n = items.length;
    if (type === undefined || UNTYPED_LISTS.has(type)) {
      if (n <= 7) this.byte(0x78 + n);
      else {
        this.byte(0x58);
        this.writeInt(n);
      }
    } else if (n <= 7) {
      this.byte(0x70 + n);
      this.writeType(type);
    } else {
      this.byte(0x56);
      this.writeType(type);
      this.writeInt(n);
    }
    this.enter();
    for (const item of items) this.writeValue(item);
    this.depth--;
  }

  /** An object instance: a class definition the first time a class appears in this body, then its fields. */
  writeObject(className: string, fields: Record<string, unknown>): void {
    const names = Object.keys(fields);
    let ref = this.classes.get(className);
    if (ref === undefined) {
      ref = this.classes.size;
      this.classes.set(className, ref);
      this.byte(0x43);
      this.writeString(className);
      this.writeInt(names.length);
      for (const n of names) this.writeString(n);
    }
    if (ref <= 15) this.byte(0x60 + ref);
    else {
      this.byte(0x4f);
      this.writeInt(ref);
    }
    this.enter();
    for (const n of names) this.writeValue(fields[n]);
    this.depth--;
  }

  private enter(): void {
    if (++this.depth > MAX_WRITE_DEPTH)
      throw new DubboEncodeError(`nesting deeper than ${MAX_WRITE_DEPTH} (a cycle?)`);
  }

  /**
   * Writes a JavaScript value the way hessian-lite writes its Java counterpart. Numbers are ints when they are
   * 32-bit integers and doubles otherwise; bigints are longs; `{ $class, $ }` chooses the Java type explicitly.
   */
  writeValue(v: unknown): void {
    if (v === null || v === undefined) {
      this.writeNull();
      return;
    }
    switch (typeof v) {
      case 'string':
        this.writeString(v);
        return;
      case 'boolean':
        this.writeBoolean(v);
        return;
      case 'bigint':
        this.writeLong(v);
        return;
      case 'number':
        if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
          this.writeInt(v);
          return;
        }
        this.writeDouble(v);
        return;
      case 'object':
        break;
      default:
        throw new DubboEncodeError(`cannot write a ${typeof v}`);
    }
    if (v instanceof HessianRaw) {
      this.writeRaw(v.bytes);
      return;
    }
    if (v instanceof Uint8Array) {
      this.writeBinary(v);
      return;
    }
    if (v instanceof Date) {
      this.byte(0x4a);
      this.ensure(8);
      this.buf.writeBigInt64BE(BigInt(v.getTime()), this.pos);
      this.pos += 8;
      return;
    }
    if (Array.isArray(v)) {
      this.writeList(v);
      return;
    }
    if (v instanceof Map) {
      this.writeMap(v.entries());
      return;
    }
    if (isJavaTyped(v)) {
      this.writeTyped(v.$class, v.$);
      return;
    }
    this.writeMap(Object.entries(v as Record<string, unknown>));
  }

  /** Writes `value` as the Java class `javaClass` (a class name or a JVM primitive name). */
  writeTyped(javaClass: string, value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    if (INT_CLASSES.has(javaClass)) {
      this.writeInt(toNumber(value));
      return;
    }
    if (LONG_CLASSES.has(javaClass)) {
      // Longs beyond 2^53 arrive as bigint or as decimal strings (hessian.js); keep every digit.
      const exact = typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : undefined;
      this.writeLong(typeof value === 'bigint' ? value : (exact ?? toNumber(value)));
      return;
    }
    if (DOUBLE_CLASSES.has(javaClass)) {
      this.writeDouble(toNumber(value));
      return;
    }
    if (BOOL_CLASSES.has(javaClass)) {
      this.writeBoolean(value === true);
      return;
    }
    if (javaClass === 'java.lang.String' || javaClass === 'char' || javaClass === 'java.lang.Character') {
      this.writeString(String(value));
      return;
    }
    if (Array.isArray(value)) {
      this.writeList(value, javaClass);
      return;
    }
    if (value instanceof Map) {
      this.writeMap(value.entries(), javaClass);
      return;
    }
    if (typeof value === 'object') {
      if (isJavaTyped(value)) {
        this.writeTyped(value.$class, value.$);
        return;
      }
      if (javaClass.endsWith('Map') || UNTYPED_MAPS.has(javaClass)) {
        this.writeMap(Object.entries(value as Record<string, unknown>), javaClass);
        return;
      }
      this.writeObject(javaClass, value as Record<string, unknown>);
      return;
    }
    this.writeValue(value);
    return;
  }
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new DubboEncodeError(
    `expected a number, got ${typeof v === 'string' ? JSON.stringify(v) : typeof v}`,
  );
}
