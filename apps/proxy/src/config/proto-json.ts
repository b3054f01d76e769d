// The proto3 JSON mapping in both directions, driven by reflection, for Envoy-style config files and for
// /config_dump. protobufjs static `fromObject` takes camelCase keys and the binary shape of well-known
// types ({seconds,nanos}, {value}, {type_url,value}); Envoy YAML uses snake_case, "1.5s", bare wrapper
// scalars, Struct as plain JSON and Any as {"@type": ..., fields}. This module converts between them and
// reports every problem with its field path instead of stopping at the first.

import { typeNameOf } from '@strait/xds';
import protobuf from 'protobufjs';
import type { IssueList } from '../errors.js';
import { lookupType, reflectionRoot } from './descriptor.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type PlainObject = Record<string, unknown>;

const WRAPPERS = new Set([
  '.google.protobuf.DoubleValue',
  '.google.protobuf.FloatValue',
  '.google.protobuf.Int64Value',
  '.google.protobuf.UInt64Value',
  '.google.protobuf.Int32Value',
  '.google.protobuf.UInt32Value',
  '.google.protobuf.BoolValue',
  '.google.protobuf.StringValue',
  '.google.protobuf.BytesValue',
]);

const snakeCache = new Map<string, string>();
export function toSnake(name: string): string {
  let s = snakeCache.get(name);
  if (s === undefined) {
    s = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeCache.set(name, s);
  }
  return s;
}

function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** "1.5s" -> {seconds: 1, nanos: 500000000}; undefined when malformed. */
export function parseDurationString(s: string): { seconds: number; nanos: number } | undefined {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(s.trim());
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const seconds = Number(m[2]) * sign;
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) * sign : 0;
  return { seconds, nanos };
}

function jsonToValue(v: unknown): PlainObject {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(jsonToValue) } };
  return { structValue: jsonToStruct(v as PlainObject) };
}

function jsonToStruct(o: PlainObject): PlainObject {
  const fields: PlainObject = {};
  for (const [k, v] of Object.entries(o)) fields[k] = jsonToValue(v);
  return { fields };
}

/**
 * Converts Envoy-style JSON for message `typeName` into the object protobufjs `fromObject` accepts.
 * Unknown fields, wrong shapes and unknown Any types are reported to `issues` and skipped.
 */
export function fromProto3Json(typeName: string, json: unknown, issues: IssueList, path = ''): PlainObject {
  const type = lookupType(typeName);
  if (!type) {
    issues.add('PROXY_ERR_UNKNOWN_TYPE_URL', path, `unknown message type ${typeName}`);
    return {};
  }
  return convertMessage(type, json, issues, path);
}

function convertMessage(type: protobuf.Type, json: unknown, issues: IssueList, path: string): PlainObject {
  const full = type.fullName;
  if (WRAPPERS.has(full)) {
    if (isPlainObject(json) && 'value' in json) return json;
    return { value: json };
  }
  if (full === '.google.protobuf.Duration') {
    if (typeof json === 'string') {
      const d = parseDurationString(json);
      if (!d) issues.add('PROXY_ERR_INVALID_VALUE', path, `"${json}" is not a duration like "1.5s"`);
      return d ?? {};
    }
    if (isPlainObject(json)) return json;
    issues.add('PROXY_ERR_INVALID_TYPE', path, 'a duration must be a string like "1.5s"');
    return {};
  }
  if (full === '.google.protobuf.Struct') {
    if (!isPlainObject(json)) {
      issues.add('PROXY_ERR_INVALID_TYPE', path, 'a Struct must be a JSON object');
      return {};
    }
    return jsonToStruct(json);
  }
  if (full === '.google.protobuf.Value') return jsonToValue(json);
  if (full === '.google.protobuf.ListValue') {
    return Array.isArray(json) ? { values: json.map(jsonToValue) } : {};
  }
  if (full === '.google.protobuf.Any') return convertAny(json, issues, path);
  if (!isPlainObject(json)) {
    issues.add('PROXY_ERR_INVALID_TYPE', path, `expected an object for ${full.slice(1)}`);
    return {};
  }
  const out: PlainObject = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[protobuf.util.camelCase(key)] ?? type.fields[key];
    const fpath = join(path, key);
    if (!field) {
      issues.add('PROXY_ERR_UNKNOWN_FIELD', fpath, `unknown field "${key}" in ${full.slice(1)}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    field.resolve();
    if (field.map) {
      if (!isPlainObject(value)) {
        issues.add('PROXY_ERR_INVALID_TYPE', fpath, 'a map field must be a JSON object');
        continue;
      }
      const m: PlainObject = {};
      for (const [mk, mv] of Object.entries(value)) m[mk] = convertField(field, mv, issues, `${fpath}.${mk}`);
      out[field.name] = m;
    } else if (field.repeated) {
      if (!Array.isArray(value)) {
        issues.add('PROXY_ERR_INVALID_TYPE', fpath, 'a repeated field must be a list');
        continue;
      }
      out[field.name] = value.map((v, i) => convertField(field, v, issues, `${fpath}[${i}]`));
    } else {
      out[field.name] = convertField(field, value, issues, fpath);
    }
  }
  return out;
}

function convertField(field: protobuf.Field, value: unknown, issues: IssueList, path: string): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return convertMessage(rt, value, issues, path);
  if (rt instanceof protobuf.Enum) {
    if (typeof value === 'string' && !(value in rt.values)) {
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        path,
        `"${value}" is not one of ${Object.keys(rt.values).join(', ')}`,
      );
    }
    return value;
  }
  if (field.type === 'bool' && typeof value !== 'boolean') {
    issues.add('PROXY_ERR_INVALID_TYPE', path, 'expected true or false');
  }
  if (field.type === 'string' && typeof value !== 'string') {
    issues.add('PROXY_ERR_INVALID_TYPE', path, 'expected a string');
  }
  return value;
}

function convertAny(json: unknown, issues: IssueList, path: string): PlainObject {
  if (!isPlainObject(json)) {
    issues.add('PROXY_ERR_INVALID_TYPE', path, 'an Any must be an object with "@type"');
    return {};
  }
  const url = json['@type'];
  if (typeof url !== 'string') {
    issues.add('PROXY_ERR_MISSING_FIELD', join(path, '@type'), 'an Any needs "@type"');
    return {};
  }
  const inner = lookupType(typeNameOf(url));
  if (!inner) {
    issues.add('PROXY_ERR_UNKNOWN_TYPE_URL', join(path, '@type'), `unknown type ${url}`);
    return {};
  }
  const { '@type': _ignored, ...rest } = json;
  // Well-known types inside an Any keep their JSON form under "value".
  const body = inner.fullName.startsWith('.google.protobuf.') && 'value' in rest ? rest['value'] : rest;
  const obj = convertMessage(inner, body, issues, path);
  const value = inner.encode(inner.fromObject(obj)).finish();
  return { type_url: url, value };
}

// ---- binary -> proto3 JSON (snake_case, "@type"), for /config_dump ----

/** Encoded message of `typeName` -> Envoy-style JSON with "@type" at the top. */
export function toProto3Json(typeName: string, bytes: Uint8Array): Json {
  const type = reflectionRoot().lookupType(typeName);
  const obj = messageToJson(type, type.decode(bytes));
  return { '@type': `type.googleapis.com/${typeName}`, ...(obj as Record<string, Json>) };
}

function messageToJson(type: protobuf.Type, msg: protobuf.Message): Json {
  const full = type.fullName;
  const m = msg as unknown as PlainObject;
  if (WRAPPERS.has(full)) return scalarToJson(m['value']);
  if (full === '.google.protobuf.Duration') {
    const s = Number(m['seconds'] ?? 0) + Number(m['nanos'] ?? 0) / 1e9;
    return `${Number(s.toFixed(9))}s`;
  }
  if (
    full === '.google.protobuf.Struct' ||
    full === '.google.protobuf.Value' ||
    full === '.google.protobuf.ListValue'
  ) {
    return structLikeToJson(full, m);
  }
  if (full === '.google.protobuf.Any') {
    const url = String(m['type_url'] ?? '');
    const inner = lookupType(typeNameOf(url));
    if (!inner) return { '@type': url };
    const body = messageToJson(inner, inner.decode(m['value'] as Uint8Array));
    return isPlainObject(body) && !inner.fullName.startsWith('.google.protobuf.')
      ? { '@type': url, ...(body as Record<string, Json>) }
      : { '@type': url, value: body };
  }
  const out: Record<string, Json> = {};
  for (const field of type.fieldsArray) {
    const v = m[field.name];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    field.resolve();
    const key = toSnake(field.name);
    if (field.map) {
      const o: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v as PlainObject)) o[k] = fieldToJson(field, x);
      out[key] = o;
    } else if (field.repeated) {
      out[key] = (v as unknown[]).map((x) => fieldToJson(field, x));
    } else {
      out[key] = fieldToJson(field, v);
    }
  }
  return out;
}

function fieldToJson(field: protobuf.Field, v: unknown): Json {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return messageToJson(rt, v as protobuf.Message);
  if (rt instanceof protobuf.Enum) return rt.valuesById[v as number] ?? (v as number);
  return scalarToJson(v);
}

function scalarToJson(v: unknown): Json {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'object' && v !== null && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return v as Json;
}

function structLikeToJson(full: string, m: PlainObject): Json {
  if (full === '.google.protobuf.Struct') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries((m['fields'] ?? {}) as PlainObject)) {
      out[k] = structLikeToJson('.google.protobuf.Value', v as PlainObject);
    }
    return out;
  }
  if (full === '.google.protobuf.ListValue') {
    return ((m['values'] ?? []) as PlainObject[]).map((x) => structLikeToJson('.google.protobuf.Value', x));
  }
  if (m['structValue'] != null)
    return structLikeToJson('.google.protobuf.Struct', m['structValue'] as PlainObject);
  if (m['listValue'] != null)
    return structLikeToJson('.google.protobuf.ListValue', m['listValue'] as PlainObject);
  if (m['stringValue'] != null) return m['stringValue'] as string;
  if (m['numberValue'] != null) return m['numberValue'] as number;
  if (m['boolValue'] != null) return m['boolValue'] as boolean;
  return null;
}
