// The collector every validator writes into. Validators never throw and never stop at the first problem:
// the user fixes a file once, not once per error.
import type { ConfigErrorCode, ConfigIssue, ConfigWarningCode } from '../errors.js';

export class Issues {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  error(code: ConfigErrorCode, path: string, message: string): void {
    this.errors.push({ code, severity: 'error', path, message });
  }

  warn(code: ConfigWarningCode, path: string, message: string): void {
    this.warnings.push({ code, severity: 'warning', path, message });
  }
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `spec.http` + 0 -> `spec.http[0]`; map keys that are not identifiers are quoted: `labels["app.kubernetes.io/name"]`. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (PLAIN_KEY.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Render a value for a message: strings quoted, long values cut so messages stay one line. */
export function show(value: unknown): string {
  const s = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Entries of a string-keyed map, or none when the value is not a map. */
export function entries(v: unknown): [string, unknown][] {
  return isObj(v) ? Object.entries(v) : [];
}
