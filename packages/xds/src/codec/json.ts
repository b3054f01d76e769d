// Envoy-style JSON of any message: what `/config_dump` prints and what `strait demo` shows. Field
// names are the protos' own snake_case, Any is expanded in place with "@type", well-known types use
// their proto3 JSON forms (Duration "1.5s", wrappers as bare values, Struct as an object), enums are
// names and 64-bit integers plain numbers. Default values are left out, as Envoy does.
import protobuf from 'protobufjs/light.js';
import { XdsDescriptorError } from '../errors.js';
import { typeNameOf } from '../type-urls.js';
import type { MessageCodec } from './codec.js';
import { type ReflectField, type ReflectType, reflectType, staticPropertyName } from './descriptor.js';
import { type CodecRegistry, defaultRegistry } from './registry.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface EnvoyJsonOptions {
  /** Where Any payloads are decoded from; defaults to the package's registry. */
  registry?: CodecRegistry;
}

const WRAPPERS = new Set([
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

/** Types whose proto3 JSON form is not an object; inside an Any they sit under "value". */
const SPECIAL = new Set([
  ...WRAPPERS,
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.FieldMask',
]);

type Bag = Record<string, unknown>;

function typeFor(fullName: string): ReflectType {
  const type = reflectType(fullName);
  if (type === undefined) throw new XdsDescriptorError(`no message type ${fullName} in the descriptor`);
  return type;
}

function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') return Number(value);
  if (value !== null && typeof value === 'object' && 'toNumber' in value) {
    return (value as { toNumber(): number }).toNumber();
  }
  return 0;
}

function base64(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return Buffer.from(value as number[]).toString('base64');
  return '';
}

function finite(n: number): JsonValue {
  return Number.isFinite(n) ? n : String(n);
}

/** proto3 JSON Duration: seconds with 0, 3, 6 or 9 fractional digits and an "s". */
export function durationToJson(seconds: number, nanos: number): string {
  const negative = seconds < 0 || nanos < 0;
  const s = Math.abs(seconds);
  const n = Math.abs(nanos);
  let frac = '';
  if (n !== 0) {
    const digits = String(n).padStart(9, '0');
    frac = `.${digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits}`;
  }
  return `${negative ? '-' : ''}${s}${frac}s`;
}

class JsonWriter {
  constructor(private readonly registry: CodecRegistry) {}

  message(type: ReflectType, msg: Bag): JsonValue {
    const name = type.fullName.slice(1);
    if (SPECIAL.has(name) || name === 'google.protobuf.Any') return this.wellKnown(name, type, msg);
    const out: JsonObject = {};
    for (const field of type.fieldsArray) {
      const value = msg[staticPropertyName(type, field)];
      const json = this.field(field, value);
      if (json !== undefined) out[field.name] = json;
    }
    return out;
  }

  private field(field: ReflectField, value: unknown): JsonValue | undefined {
    if (value === undefined || value === null) return undefined;
    if (field.map) {
      const entries = Object.entries(value as Bag);
      if (entries.length === 0) return undefined;
      const out: JsonObject = {};
      for (const [k, v] of entries) out[k] = this.single(field, v);
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(value) || value.length === 0) return undefined;
      return value.map((v) => this.single(field, v));
    }
    // Fields with presence (oneof members, proto3 `optional`, messages) print whenever set; plain
    // proto3 scalars only when not the default, as protobuf's JSON printer does.
    const hasPresence = field.partOf !== null || field.resolvedType instanceof protobuf.Type;
    if (!hasPresence && isDefault(field, value)) return undefined;
    return this.single(field, value);
  }

  private single(field: ReflectField, value: unknown): JsonValue {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return this.message(resolved, (value ?? {}) as Bag);
    if (resolved instanceof protobuf.Enum) {
      if (typeof value === 'string') return value;
      if (resolved.fullName === '.google.protobuf.NullValue') return null;
      return resolved.valuesById[num(value)] ?? num(value);
    }
    return scalar(field.type, value);
  }

  private wellKnown(name: string, type: ReflectType, msg: Bag): JsonValue {
    if (WRAPPERS.has(name)) {
      const field = type.fieldsById[1]!;
      return scalar(field.type, msg['value'] ?? defaultOf(field.type));
    }
    switch (name) {
      case 'google.protobuf.Any':
        return this.any(msg);
      case 'google.protobuf.Duration':
        return durationToJson(num(msg['seconds']), num(msg['nanos']));
      case 'google.protobuf.Timestamp':
        return new Date(num(msg['seconds']) * 1000 + Math.floor(num(msg['nanos']) / 1e6)).toISOString();
      case 'google.protobuf.FieldMask':
        return ((msg['paths'] as string[] | undefined) ?? []).join(',');
      case 'google.protobuf.Struct': {
        const out: JsonObject = {};
        const valueType = typeFor('google.protobuf.Value');
        for (const [k, v] of Object.entries((msg['fields'] as Bag | undefined) ?? {})) {
          out[k] = this.message(valueType, v as Bag);
        }
        return out;
      }
      case 'google.protobuf.ListValue': {
        const valueType = typeFor('google.protobuf.Value');
        return ((msg['values'] as Bag[] | undefined) ?? []).map((v) => this.message(valueType, v));
      }
      default:
        return this.value(msg);
    }
  }

  private value(msg: Bag): JsonValue {
    if (msg['structValue'] != null)
      return this.message(typeFor('google.protobuf.Struct'), msg['structValue'] as Bag);
    if (msg['listValue'] != null)
      return this.message(typeFor('google.protobuf.ListValue'), msg['listValue'] as Bag);
    if (msg['stringValue'] != null) return String(msg['stringValue']);
    if (msg['numberValue'] != null) return finite(num(msg['numberValue']));
    if (msg['boolValue'] != null) return Boolean(msg['boolValue']);
    return null;
  }

  private any(msg: Bag): JsonValue {
    const typeUrl = String(msg['type_url'] ?? '');
    const bytes = msg['value'];
    const codec = typeUrl === '' ? undefined : this.registry.get(typeUrl);
    if (codec === undefined) return { '@type': typeUrl, value: base64(bytes) };
    const inner = codec.decode(bytes instanceof Uint8Array ? bytes : new Uint8Array(0)) as Bag;
    const json = this.message(typeFor(typeNameOf(codec.typeUrl)), inner);
    if (SPECIAL.has(codec.typeName)) return { '@type': typeUrl, value: json };
    return { '@type': typeUrl, ...(json as JsonObject) };
  }
}

function defaultOf(type: string): unknown {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'bytes') return new Uint8Array(0);
  return 0;
}

function isDefault(field: ReflectField, value: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum)
    return value === 0 || value === field.resolvedType.valuesById[0];
  switch (field.type) {
    case 'string':
      return value === '';
    case 'bool':
      return value === false;
    case 'bytes':
      return (value instanceof Uint8Array || typeof value === 'string') && value.length === 0;
    default:
      return num(value) === 0;
  }
}

function scalar(type: string, value: unknown): JsonValue {
  switch (type) {
    case 'string':
      return String(value);
    case 'bool':
      return Boolean(value);
    case 'bytes':
      return base64(value);
    case 'double':
    case 'float':
      return finite(num(value));
    default:
      return num(value);
  }
}

/** Envoy-style JSON of a message of the given full type name (`envoy.config.cluster.v3.Cluster`). */
export function toEnvoyJson(typeName: string, message: unknown, options: EnvoyJsonOptions = {}): JsonValue {
  const writer = new JsonWriter(options.registry ?? defaultRegistry);
  return writer.message(typeFor(typeName), (message ?? {}) as Bag);
}

/** Envoy-style JSON of a resource with its "@type" first, as config_dump lists resources. */
export function resourceToEnvoyJson<P>(
  codec: MessageCodec<unknown, P>,
  message: P,
  options: EnvoyJsonOptions = {},
): JsonObject {
  const json = toEnvoyJson(codec.typeName, message, options) as JsonObject;
  return { '@type': codec.typeUrl, ...json };
}
