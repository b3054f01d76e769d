// Finds where bytes stop being a valid encoding of a message, as a field path.
//
// protobufjs says "index out of range" without saying where. Only after the fast static decoder has
// failed, this walker re-reads the same bytes with the reflection descriptor, tracking the path
// (`endpoints[0].lb_endpoints[3].endpoint.address.socket_address.port_value`) so a NACK or a log line
// points at the broken field. It follows the static decoder's rules: a known field with an unexpected
// wire type is skipped as unknown; strings must be valid UTF-8; nesting stops at protobufjs' limit.
import protobuf from 'protobufjs/light.js';
import type { ReflectField, ReflectType } from './descriptor.js';

export interface WireFailure {
  /** Field path from the top-level message; empty when the top level itself is broken. */
  path: string;
  reason: string;
  /** Byte offset in the input where the problem was found. */
  offset: number;
}

class Failure {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly offset: number,
  ) {}
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LDELIM = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Wire type each scalar proto type is written with when not packed. */
function scalarWireType(type: string): number {
  switch (type) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return WIRE_FIXED64;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return WIRE_FIXED32;
    case 'string':
    case 'bytes':
      return WIRE_LDELIM;
    default:
      return WIRE_VARINT;
  }
}

function keyTypeOf(field: ReflectField): string | undefined {
  return (field as unknown as { keyType?: string }).keyType;
}

function join(path: string, segment: string): string {
  if (path === '') return segment;
  return segment.startsWith('[') ? path + segment : `${path}.${segment}`;
}

class Walker {
  private readonly limit = protobuf.Reader.recursionLimit;

  constructor(private readonly buf: Uint8Array) {}

  /** Reads a varint at pos (at most 10 bytes, never past end); returns [value, next position]. */
  private varint(pos: number, end: number, path: string, what: string): [number, number] {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new Failure(path, `truncated ${what}`, pos);
      const b = this.buf[pos++]!;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return [value, pos];
    }
    throw new Failure(path, `${what} longer than 10 bytes`, pos);
  }

  message(type: ReflectType | undefined, start: number, end: number, path: string, depth: number): void {
    if (depth > this.limit) throw new Failure(path, `nested deeper than ${this.limit} messages`, start);
    const seen = new Map<number, number>();
    let pos = start;
    while (pos < end) {
      const tagAt = pos;
      const [tag, afterTag] = this.varint(pos, end, path, 'tag');
      if (tag > 0xffffffff) throw new Failure(path, 'tag larger than 32 bits', tagAt);
      pos = afterTag;
      const fieldNo = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (fieldNo === 0) throw new Failure(path, 'invalid field number 0', tagAt);
      const field = type?.fieldsById[fieldNo];
      let segment = field ? field.name : `#${fieldNo}`;
      if (field && (field.repeated || field.map)) {
        const index = seen.get(fieldNo) ?? 0;
        seen.set(fieldNo, index + 1);
        if (!field.map) segment = `${segment}[${index}]`;
      }
      const here = join(path, segment);
      pos = this.field(field, wireType, pos, end, here, depth, fieldNo);
    }
  }

  private field(
    field: ReflectField | undefined,
    wireType: number,
    pos: number,
    end: number,
    path: string,
    depth: number,
    fieldNo: number,
  ): number {
    switch (wireType) {
      case WIRE_VARINT:
        return this.varint(pos, end, path, 'varint')[1];
      case WIRE_FIXED64:
        if (end - pos < 8) throw new Failure(path, `truncated fixed64 (${end - pos} of 8 bytes)`, pos);
        return pos + 8;
      case WIRE_FIXED32:
        if (end - pos < 4) throw new Failure(path, `truncated fixed32 (${end - pos} of 4 bytes)`, pos);
        return pos + 4;
      case WIRE_LDELIM:
        return this.delimited(field, pos, end, path, depth);
      case WIRE_START_GROUP:
        return this.group(pos, end, path, depth + 1, fieldNo);
      case WIRE_END_GROUP:
        throw new Failure(path, 'unexpected end-group tag', pos);
      default:
        throw new Failure(path, `invalid wire type ${wireType}`, pos);
    }
  }

  private delimited(
    field: ReflectField | undefined,
    pos: number,
    end: number,
    path: string,
    depth: number,
  ): number {
    const [length, start] = this.varint(pos, end, path, 'length prefix');
    if (length > 0x7fffffff) throw new Failure(path, `length prefix ${length} out of range`, pos);
    const left = end - start;
    const overrun = length > left;
    // A message cut short is walked over the bytes that are there, so the report names the deepest
    // field the cut went through rather than only the outermost length prefix.
    const stop = overrun ? end : start + length;
    if (field?.map) {
      this.mapEntry(field, start, stop, path, depth + 1);
    } else if (field?.resolvedType instanceof protobuf.Type) {
      this.message(field.resolvedType, start, stop, path, depth + 1);
    } else if (field?.type === 'string' && !overrun) {
      try {
        utf8.decode(this.buf.subarray(start, stop));
      } catch {
        throw new Failure(path, 'invalid UTF-8 in string', start);
      }
    } else if (field?.repeated && field.type !== 'string' && field.type !== 'bytes' && !field.resolvedType) {
      this.packed(field.type, start, stop, path);
    }
    if (overrun) throw new Failure(path, `truncated: length ${length} exceeds the ${left} bytes left`, pos);
    return stop;
  }

  /** A length-delimited sub-message of a known type (map values). */
  private nested(type: ReflectType, pos: number, end: number, path: string, depth: number): number {
    const [length, start] = this.varint(pos, end, path, 'length prefix');
    const left = end - start;
    const stop = length > left ? end : start + length;
    this.message(type, start, stop, path, depth + 1);
    if (length > left)
      throw new Failure(path, `truncated: length ${length} exceeds the ${left} bytes left`, pos);
    return stop;
  }

  private packed(type: string, start: number, end: number, path: string): void {
    const wire = scalarWireType(type);
    const size = wire === WIRE_FIXED64 ? 8 : wire === WIRE_FIXED32 ? 4 : 0;
    let pos = start;
    for (let i = 0; pos < end; i++) {
      const at = `${path}[${i}]`;
      if (size === 0) pos = this.varint(pos, end, at, 'varint')[1];
      else if (end - pos < size) throw new Failure(at, `truncated packed element`, pos);
      else pos += size;
    }
  }

  /** Best effort: the entry's string key, so a broken value can be named `labels["app"]`. */
  private peekMapKey(field: ReflectField, start: number, end: number, path: string): string | undefined {
    if (keyTypeOf(field) !== 'string') return undefined;
    let pos = start;
    try {
      while (pos < end) {
        const [tag, afterTag] = this.varint(pos, end, path, 'tag');
        if (tag === (1 << 3) + WIRE_LDELIM) {
          const [len, s] = this.varint(afterTag, end, path, 'length prefix');
          return s + len <= end ? utf8.decode(this.buf.subarray(s, s + len)) : undefined;
        }
        if (Math.floor(tag / 8) === 0) return undefined;
        pos = this.field(undefined, tag % 8, afterTag, end, path, 0, Math.floor(tag / 8));
      }
    } catch {
      // The validating pass reports it with the right path.
    }
    return undefined;
  }

  private mapEntry(field: ReflectField, start: number, end: number, path: string, depth: number): void {
    const key = this.peekMapKey(field, start, end, path);
    const at = key === undefined ? `${path}[?]` : `${path}[${JSON.stringify(key)}]`;
    const keyType = keyTypeOf(field);
    let pos = start;
    while (pos < end) {
      const [tag, afterTag] = this.varint(pos, end, at, 'tag');
      const fieldNo = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (fieldNo === 0) throw new Failure(at, 'invalid field number 0', pos);
      if (fieldNo === 2 && wireType === WIRE_LDELIM && field.resolvedType instanceof protobuf.Type) {
        pos = this.nested(field.resolvedType, afterTag, end, at, depth);
        continue;
      }
      if (fieldNo === 1 && keyType === 'string' && wireType === WIRE_LDELIM) {
        pos = this.stringValue(afterTag, end, at);
        continue;
      }
      if (fieldNo === 2 && field.type === 'string' && wireType === WIRE_LDELIM) {
        pos = this.stringValue(afterTag, end, at);
        continue;
      }
      pos = this.field(undefined, wireType, afterTag, end, at, depth, fieldNo);
    }
  }

  private stringValue(pos: number, end: number, path: string): number {
    const [length, start] = this.varint(pos, end, path, 'length prefix');
    if (length > end - start) {
      throw new Failure(path, `truncated: length ${length} exceeds the ${end - start} bytes left`, pos);
    }
    try {
      utf8.decode(this.buf.subarray(start, start + length));
    } catch {
      throw new Failure(path, 'invalid UTF-8 in string', start);
    }
    return start + length;
  }

  private group(pos: number, end: number, path: string, depth: number, fieldNo: number): number {
    if (depth > this.limit) throw new Failure(path, `nested deeper than ${this.limit} groups`, pos);
    while (pos < end) {
      const [tag, afterTag] = this.varint(pos, end, path, 'tag');
      const wireType = tag % 8;
      const nested = Math.floor(tag / 8);
      if (nested === 0) throw new Failure(path, 'invalid field number 0', pos);
      if (wireType === WIRE_END_GROUP) {
        if (nested !== fieldNo) {
          throw new Failure(
            path,
            `end-group tag of field ${nested} closes the group of field ${fieldNo}`,
            pos,
          );
        }
        return afterTag;
      }
      pos = this.field(undefined, wireType, afterTag, end, path, depth, nested);
    }
    throw new Failure(path, 'unterminated group', pos);
  }
}

/**
 * Walks `bytes` as an encoding of `type` (undefined: an opaque message, only the wire format is
 * checked) and returns the first problem found, or undefined when the walker finds none.
 */
export function findWireFailure(type: ReflectType | undefined, bytes: Uint8Array): WireFailure | undefined {
  try {
    new Walker(bytes).message(type, 0, bytes.length, '', 0);
    return undefined;
  } catch (err) {
    if (err instanceof Failure) return { path: err.path, reason: err.reason, offset: err.offset };
    throw err;
  }
}
