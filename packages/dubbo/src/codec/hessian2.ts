// A minimal Hessian2 reader: enough to read the request/response envelope (strings, ints, maps, nulls) and to
// SKIP any value, including lists, typed maps, class definitions and objects, without building it. Full value
// decoding of arguments goes through hessian.js (see args.ts); this reader exists for the routing fast path.
//
// Hostile input: every length is checked against the bytes left before anything is allocated or looped over,
// nesting is bounded, and every failure is a DubboHessianError (never a RangeError or an endless loop).
import { DubboHessianError } from '../errors.js';

/** Deeper nesting than this in one body is refused: Dubbo payloads are never this deep, hostile ones may be. */
export const MAX_DEPTH = 128;

export interface ClassDef {
  name: string;
  fields: string[];
}

/** What `readValue` returns for a Hessian2 object instance (class definition + field values). */
export interface HessianObject {
  $class: string;
  $: Record<string, unknown>;
}

/** Node's Buffer slice decoders (present on every Buffer, missing from @types/node); the fastest way to a string. */
interface NodeBufferSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** Decodes Java's modified UTF-8 (surrogates as separate 3-byte sequences; 4-byte sequences also accepted). */
function decodeCesu8(buf: Buffer, start: number, end: number): string {
  const codes: number[] = [];
  let p = start;
  while (p < end) {
    const b = buf[p]!;
    if (b < 0x80) {
      codes.push(b);
      p += 1;
    } else if ((b & 0xe0) === 0xc0) {
      codes.push(((b & 0x1f) << 6) | (buf[p + 1]! & 0x3f));
      p += 2;
    } else if ((b & 0xf0) === 0xe0) {
      codes.push(((b & 0x0f) << 12) | ((buf[p + 1]! & 0x3f) << 6) | (buf[p + 2]! & 0x3f));
      p += 3;
    } else {
      const cp =
        ((b & 0x07) << 18) |
        ((buf[p + 1]! & 0x3f) << 12) |
        ((buf[p + 2]! & 0x3f) << 6) |
        (buf[p + 3]! & 0x3f);
      const v = cp - 0x10000;
      codes.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
      p += 4;
    }
  }
  let s = '';
  for (let k = 0; k < codes.length; k += 4096) s += String.fromCharCode(...codes.slice(k, k + 4096));
  return s;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** Assigns without letting a hostile "__proto__" key reach the prototype setter. */
export function setProp(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export class Hessian2Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  /** Type names seen in this body (typed lists/maps refer back to them by index). */
  readonly types: string[] = [];
  /** Class definitions seen in this body ('C'); objects refer to them by index. */
  readonly classes: ClassDef[] = [];
  private depth = 0;
  private refs: unknown[] = [];

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, at = this.pos): never {
    throw new DubboHessianError(message, at);
  }

  private need(n: number): void {
    if (n > this.end - this.pos) this.fail(`unexpected end of body (need ${n} more bytes)`);
  }

  private u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of body');
    return this.buf[this.pos++]!;
  }

  peek(): number {
    if (this.pos >= this.end) this.fail('unexpected end of body');
    return this.buf[this.pos]!;
  }

  // ---- scalars ----

  /** Reads a string, or null for 'N'. */
  readString(): string | null {
    const code = this.u8();
    if (code === 0x4e) return null;
    return this.readStringAfter(code);
  }

  private readStringAfter(code: number): string {
    if (code <= 0x1f) return this.readUtf16Units(code);
    if (code >= 0x30 && code <= 0x33) return this.readUtf16Units(((code - 0x30) << 8) | this.u8());
    if (code === 0x53 || code === 0x52) {
      // 'R' is a non-final chunk, 'S' the final one; lengths count UTF-16 code units.
      let out = '';
      let c = code;
      for (;;) {
        this.need(2);
        const len = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
        this.pos += 2;
        out += this.readUtf16Units(len);
        if (c === 0x53) return out;
        c = this.u8();
        if (c === 0x53 || c === 0x52) continue;
        // A chunk sequence may end with a compact final chunk.
        if (c <= 0x1f || (c >= 0x30 && c <= 0x33)) return out + this.readStringAfter(c);
        this.fail(`bad string chunk code 0x${c.toString(16)}`, this.pos - 1);
      }
    }
    this.fail(`expected string, got code 0x${code.toString(16)}`, this.pos - 1);
  }

  /**
   * Reads `units` UTF-16 code units of Hessian's UTF-8. Java writes each surrogate as its own 3-byte sequence
   * (CESU-8); a 4-byte UTF-8 sequence from another writer counts as two units.
   */
  private readUtf16Units(units: number): string {
    this.need(units);
    const buf = this.buf;
    const start = this.pos;
    // ASCII fast path: no multi-byte sequence in the first `units` bytes means bytes == units.
    let p = start;
    const asciiEnd = start + units;
    while (p < asciiEnd && buf[p]! < 0x80) p++;
    if (p === asciiEnd) {
      this.pos = asciiEnd;
      return (buf as unknown as NodeBufferSlices).latin1Slice(start, asciiEnd);
    }
    // Walk the rest to find where the string ends. Without surrogates (Java writes each as a 3-byte ED Ax/Bx
    // sequence) or 4-byte sequences, the bytes are plain UTF-8 and the native decoder can take them.
    let count = p - start;
    let plain = true;
    while (count < units) {
      if (p >= this.end) this.fail('unexpected end of body in string');
      const b = buf[p]!;
      if (b < 0x80) {
        p += 1;
        count += 1;
      } else if ((b & 0xe0) === 0xc0) {
        p += 2;
        count += 1;
      } else if ((b & 0xf0) === 0xe0) {
        if (b === 0xed && (buf[p + 1]! & 0xe0) === 0xa0) plain = false;
        p += 3;
        count += 1;
      } else if ((b & 0xf8) === 0xf0) {
        plain = false;
        p += 4;
        count += 2;
      } else {
        this.fail(`bad UTF-8 byte 0x${b.toString(16)}`, p);
      }
    }
    if (p > this.end) this.fail('unexpected end of body in string');
    this.pos = p;
    return plain ? (buf as unknown as NodeBufferSlices).utf8Slice(start, p) : decodeCesu8(buf, start, p);
  }

  readInt(): number {
    const code = this.u8();
    const v = this.readIntAfter(code);
    if (v === undefined) this.fail(`expected int, got code 0x${code.toString(16)}`, this.pos - 1);
    return v;
  }

  private readIntAfter(code: number): number | undefined {
    if (code >= 0x80 && code <= 0xbf) return code - 0x90;
    if (code >= 0xc0 && code <= 0xcf) return ((code - 0xc8) << 8) | this.u8();
    if (code >= 0xd0 && code <= 0xd7) {
      this.need(2);
      const v = ((code - 0xd4) << 16) | (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
      this.pos += 2;
      return v;
    }
    if (code === 0x49) {
      this.need(4);
      const v = this.buf.readInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    return undefined;
  }

  private readLongAfter(code: number): number | bigint | undefined {
    if (code >= 0xd8 && code <= 0xef) return code - 0xe0;
    if (code >= 0xf0) return ((code - 0xf8) << 8) | this.u8();
    if (code >= 0x38 && code <= 0x3f) {
      this.need(2);
      const v = ((code - 0x3c) << 16) | (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
      this.pos += 2;
      return v;
    }
    if (code === 0x59) {
      this.need(4);
      const v = this.buf.readInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (code === 0x4c) {
      this.need(8);
      const v = this.buf.readBigInt64BE(this.pos);
      this.pos += 8;
      return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
    }
    return undefined;
  }

  private readDoubleAfter(code: number): number | undefined {
    switch (code) {
      case 0x5b:
        return 0;
      case 0x5c:
        return 1;
      case 0x5d:
        return (this.u8() << 24) >> 24;
      case 0x5e: {
        this.need(2);
        const v = this.buf.readInt16BE(this.pos);
        this.pos += 2;
        return v;
      }
      case 0x5f: {
        this.need(4);
        const v = this.buf.readInt32BE(this.pos);
        this.pos += 4;
        return v * 0.001;
      }
      case 0x44: {
        this.need(8);
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      default:
        return undefined;
    }
  }

  /** A type: a string, or an int index into the types already seen in this body. */
  readType(): string {
    const code = this.peek();
    if (code <= 0x1f || (code >= 0x30 && code <= 0x33) || code === 0x52 || code === 0x53) {
      const t = this.readString()!;
      this.types.push(t);
      return t;
    }
    const at = this.pos;
    const ref = this.readInt();
    const t = this.types[ref];
    if (t === undefined) this.fail(`type reference ${ref} out of range`, at);
    return t;
  }

  private readClassDef(): void {
    const name = this.readString();
    if (name === null) this.fail('null class name');
    const at = this.pos;
    const n = this.readInt();
    // Each field name takes at least one byte.
    if (n < 0 || n > this.remaining) this.fail(`bad field count ${n}`, at);
    const fields: string[] = [];
    for (let i = 0; i < n; i++) {
      const f = this.readString();
      if (f === null) this.fail('null field name');
      fields.push(f);
    }
    this.classes.push({ name, fields });
  }

  private classAt(ref: number, at: number): ClassDef {
    const def = this.classes[ref];
    if (def === undefined) this.fail(`class reference ${ref} out of range`, at);
    return def;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
  }

  private listLength(): number {
    const at = this.pos;
    const n = this.readInt();
    if (n < 0 || n > this.remaining) this.fail(`bad list length ${n}`, at);
    return n;
  }

  // ---- skipping: moves past one value without building it ----

  skipValue(): void {
    let at = this.pos;
    let code = this.u8();
    // Class definitions precede the value that uses them; a loop, so a hostile run of them cannot recurse.
    while (code === 0x43) {
      this.readClassDef();
      at = this.pos;
      code = this.u8();
    }
    if (code >= 0x80 && code <= 0xbf) return; // compact int
    if (code >= 0xd8 && code <= 0xef) return; // compact long
    if (code <= 0x1f || (code >= 0x30 && code <= 0x33) || code === 0x52 || code === 0x53) {
      this.pos = at;
      this.skipString();
      return;
    }
    switch (code) {
      case 0x4e: // N
      case 0x54: // T
      case 0x46: // F
      case 0x5b:
      case 0x5c:
        return;
      case 0x48: // untyped map
        this.skipMapBody();
        return;
      case 0x4d: // typed map
        this.readType();
        this.skipMapBody();
        return;
      case 0x4f: {
        // 'O' object: class reference then its fields
        const refAt = this.pos;
        this.skipFields(this.classAt(this.readInt(), refAt));
        return;
      }
      case 0x51: // 'Q' back reference
        this.readInt();
        return;
      case 0x55: // variable-length typed list
        this.readType();
        this.skipUntilEnd();
        return;
      case 0x57: // variable-length untyped list
        this.skipUntilEnd();
        return;
      case 0x56: {
        // fixed-length typed list
        this.readType();
        this.skipN(this.listLength());
        return;
      }
      case 0x58:
        this.skipN(this.listLength());
        return;
      case 0x41: // binary chunks
      case 0x42:
        this.pos = at;
        this.skipBinary();
        return;
      default:
        break;
    }
    if (code >= 0x60 && code <= 0x6f) {
      this.skipFields(this.classAt(code - 0x60, at));
      return;
    }
    if (code >= 0x70 && code <= 0x77) {
      this.readType();
      this.skipN(code - 0x70);
      return;
    }
    if (code >= 0x78 && code <= 0x7f) {
      this.skipN(code - 0x78);
      return;
    }
    if (code >= 0x20 && code <= 0x2f) {
      this.skipBytes(code - 0x20);
      return;
    }
    if (code >= 0x34 && code <= 0x37) {
      this.skipBytes(((code - 0x34) << 8) | this.u8());
      return;
    }
    const fixed = FIXED_SIZES[code];
    if (fixed !== undefined) {
      this.skipBytes(fixed);
      return;
    }
    this.fail(`unknown code 0x${code.toString(16)}`, at);
  }

  private skipBytes(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private skipN(n: number): void {
    this.enter();
    for (let i = 0; i < n; i++) this.skipValue();
    this.depth--;
  }

  private skipFields(def: ClassDef): void {
    this.skipN(def.fields.length);
  }

  private skipUntilEnd(): void {
    this.enter();
    while (this.peek() !== 0x5a) this.skipValue();
    this.pos++;
    this.depth--;
  }

  private skipMapBody(): void {
    this.enter();
    while (this.peek() !== 0x5a) {
      this.skipValue();
      this.skipValue();
    }
    this.pos++;
    this.depth--;
  }

  /** Skips a string (or 'N') by walking its UTF-8 without building it. */
  skipString(): void {
    let code = this.u8();
    if (code === 0x4e) return;
    for (;;) {
      if (code <= 0x1f) {
        this.skipUtf16Units(code);
        return;
      }
      if (code >= 0x30 && code <= 0x33) {
        this.skipUtf16Units(((code - 0x30) << 8) | this.u8());
        return;
      }
      if (code !== 0x52 && code !== 0x53)
        this.fail(`expected string, got code 0x${code.toString(16)}`, this.pos - 1);
      this.need(2);
      const len = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
      this.pos += 2;
      this.skipUtf16Units(len);
      if (code === 0x53) return;
      code = this.u8();
    }
  }

  private skipUtf16Units(units: number): void {
    this.need(units);
    const buf = this.buf;
    let p = this.pos;
    // ASCII run first: one compare per byte.
    const asciiEnd = p + units;
    while (p < asciiEnd && buf[p]! < 0x80) p++;
    let count = p - this.pos;
    while (count < units) {
      if (p >= this.end) this.fail('unexpected end of body in string');
      const b = buf[p]!;
      if (b < 0x80) {
        p += 1;
        count += 1;
      } else if ((b & 0xe0) === 0xc0) {
        p += 2;
        count += 1;
      } else if ((b & 0xf0) === 0xe0) {
        p += 3;
        count += 1;
      } else if ((b & 0xf8) === 0xf0) {
        p += 4;
        count += 2;
      } else {
        this.fail(`bad UTF-8 byte 0x${b.toString(16)}`, p);
      }
    }
    if (p > this.end) this.fail('unexpected end of body in string');
    this.pos = p;
  }

  private skipBinary(): void {
    for (;;) {
      const code = this.u8();
      if (code >= 0x20 && code <= 0x2f) {
        this.skipBytes(code - 0x20);
        return;
      }
      if (code >= 0x34 && code <= 0x37) {
        this.skipBytes(((code - 0x34) << 8) | this.u8());
        return;
      }
      if (code !== 0x41 && code !== 0x42)
        this.fail(`bad binary chunk code 0x${code.toString(16)}`, this.pos - 1);
      this.need(2);
      const len = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
      this.pos += 2;
      this.skipBytes(len);
      if (code === 0x42) return;
    }
  }

  // ---- reading: builds plain JavaScript values ----

  /**
   * Reads one value: null, boolean, number (int, double, and longs that fit 53 bits), bigint (longer longs),
   * string, Buffer (binary), Date, array (lists), plain object (maps, keys stringified) or HessianObject.
   */
  readValue(): unknown {
    let at = this.pos;
    let code = this.u8();
    while (code === 0x43) {
      this.readClassDef();
      at = this.pos;
      code = this.u8();
    }
    const i = this.readIntAfter(code);
    if (i !== undefined) return i;
    if (code <= 0x1f || (code >= 0x30 && code <= 0x33) || code === 0x52 || code === 0x53) {
      return this.readStringAfter(code);
    }
    const l = this.readLongAfter(code);
    if (l !== undefined) return l;
    const d = this.readDoubleAfter(code);
    if (d !== undefined) return d;
    switch (code) {
      case 0x4e:
        return null;
      case 0x54:
        return true;
      case 0x46:
        return false;
      case 0x4a: {
        this.need(8);
        const ms = this.buf.readBigInt64BE(this.pos);
        this.pos += 8;
        return new Date(Number(ms));
      }
      case 0x4b: {
        this.need(4);
        const min = this.buf.readInt32BE(this.pos);
        this.pos += 4;
        return new Date(min * 60000);
      }
      case 0x48:
        return this.readMapBody();
      case 0x4d:
        this.readType();
        return this.readMapBody();
      case 0x4f: {
        const refAt = this.pos;
        return this.readObject(this.classAt(this.readInt(), refAt));
      }
      case 0x51: {
        const ref = this.readInt();
        if (ref < 0 || ref >= this.refs.length) this.fail(`reference ${ref} out of range`, at);
        return this.refs[ref];
      }
      case 0x55:
        this.readType();
        return this.readListUntilEnd();
      case 0x57:
        return this.readListUntilEnd();
      case 0x56:
        this.readType();
        return this.readListN(this.listLength());
      case 0x58:
        return this.readListN(this.listLength());
      case 0x41:
      case 0x42:
        this.pos = at;
        return this.readBinary();
      default:
        break;
    }
    if (code >= 0x60 && code <= 0x6f) return this.readObject(this.classAt(code - 0x60, at));
    if (code >= 0x70 && code <= 0x77) {
      this.readType();
      return this.readListN(code - 0x70);
    }
    if (code >= 0x78 && code <= 0x7f) return this.readListN(code - 0x78);
    if ((code >= 0x20 && code <= 0x2f) || (code >= 0x34 && code <= 0x37)) {
      this.pos = at;
      return this.readBinary();
    }
    this.fail(`unknown code 0x${code.toString(16)}`, at);
  }

  /** Reads a map ('H' or 'M'), or null for 'N'. Keys become strings. */
  readMap(): Record<string, unknown> | null {
    const at = this.pos;
    const code = this.u8();
    if (code === 0x4e) return null;
    if (code === 0x48) return this.readMapBody();
    if (code === 0x4d) {
      this.readType();
      return this.readMapBody();
    }
    if (code === 0x51) {
      const ref = this.readInt();
      const v = this.refs[ref];
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        this.fail(`reference ${ref} is not a map`, at);
      return v as Record<string, unknown>;
    }
    this.fail(`expected map, got code 0x${code.toString(16)}`, at);
  }

  private readMapBody(): Record<string, unknown> {
    this.enter();
    const out: Record<string, unknown> = {};
    this.refs.push(out);
    while (this.peek() !== 0x5a) {
      const k = this.readValue();
      setProp(out, typeof k === 'string' ? k : String(k), this.readValue());
    }
    this.pos++;
    this.depth--;
    return out;
  }

  private readListN(n: number): unknown[] {
    this.enter();
    const out: unknown[] = [];
    this.refs.push(out);
    for (let i = 0; i < n; i++) out.push(this.readValue());
    this.depth--;
    return out;
  }

  private readListUntilEnd(): unknown[] {
    this.enter();
    const out: unknown[] = [];
    this.refs.push(out);
    while (this.peek() !== 0x5a) out.push(this.readValue());
    this.pos++;
    this.depth--;
    return out;
  }

  private readObject(def: ClassDef): HessianObject {
    this.enter();
    const fields: Record<string, unknown> = {};
    const out: HessianObject = { $class: def.name, $: fields };
    this.refs.push(out);
    for (const f of def.fields) setProp(fields, f, this.readValue());
    this.depth--;
    return out;
  }

  private readBinary(): Buffer {
    const parts: Buffer[] = [];
    for (;;) {
      const code = this.u8();
      let len: number;
      let final = true;
      if (code >= 0x20 && code <= 0x2f) len = code - 0x20;
      else if (code >= 0x34 && code <= 0x37) len = ((code - 0x34) << 8) | this.u8();
      else if (code === 0x41 || code === 0x42) {
        this.need(2);
        len = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
        this.pos += 2;
        final = code === 0x42;
      } else this.fail(`bad binary chunk code 0x${code.toString(16)}`, this.pos - 1);
      this.need(len);
      parts.push(Buffer.from(this.buf.subarray(this.pos, this.pos + len)));
      this.pos += len;
      if (final) return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    }
  }
}

/** Payload sizes of the fixed-width codes (after the code byte). */
const FIXED_SIZES: Record<number, number> = {
  68: 8, // double
  73: 4, // int
  74: 8, // date millis
  75: 4, // date minutes
  76: 8, // long
  89: 4, // long as int
  93: 1, // double as byte
  94: 2, // double as short
  95: 4, // double as mills
  56: 2,
  57: 2,
  58: 2,
  59: 2,
  60: 2,
  61: 2,
  62: 2,
  63: 2, // 3-byte longs
  192: 1,
  193: 1,
  194: 1,
  195: 1,
  196: 1,
  197: 1,
  198: 1,
  199: 1,
  200: 1,
  201: 1,
  202: 1,
  203: 1,
  204: 1,
  205: 1,
  206: 1,
  207: 1, // 2-byte ints
  208: 2,
  209: 2,
  210: 2,
  211: 2,
  212: 2,
  213: 2,
  214: 2,
  215: 2, // 3-byte ints
  240: 1,
  241: 1,
  242: 1,
  243: 1,
  244: 1,
  245: 1,
  246: 1,
  247: 1,
  248: 1,
  249: 1,
  250: 1,
  251: 1,
  252: 1,
  253: 1,
  254: 1,
  255: 1, // 2-byte longs
};
