// A small declarative description of each kind's fields. The structural pass walks it to find typos
// (unknown fields are errors), wrong YAML types, missing required fields, bad enum values, deprecated
// fields and fields Strait does not implement (warned "unsupported, ignored", then stripped from the
// accepted object so no translator half-implements them). Semantic rules live in the per-kind files.
import { at, type Issues, isObj, show } from './issues.js';

interface Common {
  required?: boolean;
  /** Set: the field is valid Istio but Strait ignores it; the text says what to do instead, if anything. */
  unsupported?: string;
  /** Set: Istio deprecated the field; the text names the replacement. */
  deprecated?: string;
}

export type Schema = Common &
  (
    | { t: 'string' }
    | { t: 'number'; int?: boolean }
    | { t: 'boolean' }
    | { t: 'enum'; values: readonly string[] }
    | { t: 'array'; of: Schema }
    | { t: 'map'; of: Schema }
    | { t: 'object'; fields: Record<string, Schema>; open?: boolean }
  );

export const s = {
  str: (): Schema => ({ t: 'string' }),
  int: (): Schema => ({ t: 'number', int: true }),
  num: (): Schema => ({ t: 'number' }),
  bool: (): Schema => ({ t: 'boolean' }),
  enm: (...values: string[]): Schema => ({ t: 'enum', values }),
  arr: (of: Schema): Schema => ({ t: 'array', of }),
  map: (of: Schema): Schema => ({ t: 'map', of }),
  obj: (fields: Record<string, Schema>): Schema => ({ t: 'object', fields }),
  /** Objects whose keys are not ours to check (Kubernetes metadata extras). */
  open: (fields: Record<string, Schema>): Schema => ({ t: 'object', fields, open: true }),
};

export const req = (schema: Schema): Schema => ({ ...schema, required: true });
export const unsupported = (schema: Schema, why = ''): Schema => ({ ...schema, unsupported: why });
export const deprecated = (schema: Schema, replacement: string): Schema => ({
  ...schema,
  deprecated: replacement,
});

/** Map of strings, the shape of labels, annotations and header operations. */
export const stringMap = (): Schema => s.map(s.str());

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}

/**
 * Check `value` against `schema`; returns a copy with unsupported fields removed (or `undefined` for
 * values that are themselves unsupported). `null` counts as absent, as in protobuf JSON.
 */
export function walk(value: unknown, schema: Schema, path: string, issues: Issues, where: string): unknown {
  switch (schema.t) {
    case 'string':
      if (typeof value !== 'string') typeError(issues, path, 'a string', value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(issues, path, 'true or false', value);
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) typeError(issues, path, 'a number', value);
      else if (schema.int && !Number.isInteger(value)) typeError(issues, path, 'an integer', value);
      return value;
    case 'enum':
      if (typeof value !== 'string') typeError(issues, path, `one of ${schema.values.join(', ')}`, value);
      else if (!schema.values.includes(value))
        issues.error(
          'CFG_ERR_INVALID_ENUM',
          path,
          `${show(value)} is not one of ${schema.values.join(', ')}`,
        );
      return value;
    case 'array':
      if (!Array.isArray(value)) {
        typeError(issues, path, 'a list', value);
        return value;
      }
      return value.map((item, i) => walk(item, schema.of, at(path, i), issues, where));
    case 'map': {
      if (!isObj(value)) {
        typeError(issues, path, 'a mapping', value);
        return value;
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, schema.of, at(path, k), issues, where);
      return out;
    }
    case 'object':
      return walkObject(value, schema, path, issues, where);
  }
}

function walkObject(
  value: unknown,
  schema: Extract<Schema, { t: 'object' }>,
  path: string,
  issues: Issues,
  where: string,
): unknown {
  if (!isObj(value)) {
    typeError(issues, path, 'a mapping', value);
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = schema.fields[key];
    const p = at(path, key);
    if (!field) {
      if (schema.open) out[key] = v;
      else
        issues.error(
          'CFG_ERR_UNKNOWN_FIELD',
          p,
          `unknown field ${show(key)} in ${where}${path ? ` ${path}` : ''}; known fields: ${Object.keys(schema.fields).join(', ')}`,
        );
      continue;
    }
    if (v === null || v === undefined) continue;
    if (field.unsupported !== undefined) {
      issues.warn(
        'CFG_WARN_UNSUPPORTED_FIELD',
        p,
        `field ${show(key)} is unsupported by Strait, ignored${field.unsupported ? `: ${field.unsupported}` : ''}`,
      );
      continue;
    }
    if (field.deprecated !== undefined)
      issues.warn('CFG_WARN_DEPRECATED', p, `field ${show(key)} is deprecated: ${field.deprecated}`);
    out[key] = walk(v, field, p, issues, where);
  }
  for (const [key, field] of Object.entries(schema.fields)) {
    if (field.required && (value[key] === undefined || value[key] === null))
      issues.error('CFG_ERR_MISSING_FIELD', at(path, key), `${show(key)} is required`);
  }
  return out;
}

function typeError(issues: Issues, path: string, expected: string, value: unknown): void {
  issues.error('CFG_ERR_INVALID_TYPE', path, `expected ${expected}, got ${typeName(value)} ${show(value)}`);
}

/** Every field path marked unsupported in a schema, for docs/config.md and the tests that keep it honest. */
export function unsupportedPaths(schema: Schema, path = ''): { path: string; why: string }[] {
  const out: { path: string; why: string }[] = [];
  if (schema.t === 'array' || schema.t === 'map') return unsupportedPaths(schema.of, `${path}[]`);
  if (schema.t !== 'object') return out;
  for (const [key, field] of Object.entries(schema.fields)) {
    const p = path ? `${path}.${key}` : key;
    if (field.unsupported !== undefined) out.push({ path: p, why: field.unsupported });
    else out.push(...unsupportedPaths(field, p));
  }
  return out;
}
