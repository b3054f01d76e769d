// Small translation helpers shared by every resource translator: durations, wrappers, percentages,
// string matchers, header mutations. Each takes the decoded (camelCase) protobuf shape.
import { envoy } from '@strait/xds';
import type { IssueList } from '../errors.js';

export interface DurationLike {
  seconds?: number | { toNumber(): number } | null;
  nanos?: number | null;
}

/** Duration -> milliseconds, or `fallback` when unset. */
export function durationMs(d: DurationLike | null | undefined, fallback: number): number;
export function durationMs(d: DurationLike | null | undefined): number | undefined;
export function durationMs(d: DurationLike | null | undefined, fallback?: number): number | undefined {
  if (!d) return fallback;
  const s = typeof d.seconds === 'object' && d.seconds ? d.seconds.toNumber() : Number(d.seconds ?? 0);
  return s * 1000 + Math.round(Number(d.nanos ?? 0) / 1e6);
}

export function wrapped<T>(w: { value?: T | null } | null | undefined, fallback: T): T;
export function wrapped<T>(w: { value?: T | null } | null | undefined): T | undefined;
export function wrapped<T>(w: { value?: T | null } | null | undefined, fallback?: T): T | undefined {
  if (!w) return fallback;
  return (w.value ?? fallback) as T;
}

/**
 * Envoy's rule for weighted_clusters (HTTP, tcp_proxy, dubbo_proxy): the weights are relative and
 * Envoy draws from their sum, which must be above 0 and at most uint32 max. Returns the sum.
 */
export function checkWeightSum(weights: readonly number[], issues: IssueList, path: string): number {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum === 0) issues.add('PROXY_ERR_INVALID_VALUE', path, 'weights sum to 0');
  else if (sum > 0xffffffff)
    issues.add('PROXY_ERR_INVALID_VALUE', path, `weights sum to ${sum}, above 4294967295`);
  return sum;
}

const Denominator = envoy.type.v3.FractionalPercent.DenominatorType;

/** FractionalPercent -> a probability 0..1. Unset means `fallback` (Envoy: usually 0 or 1). */
export function fraction(
  p: { numerator?: number | null; denominator?: number | null } | null | undefined,
  fallback: number,
): number {
  if (!p) return fallback;
  const den =
    p.denominator === Denominator.MILLION
      ? 1_000_000
      : p.denominator === Denominator.TEN_THOUSAND
        ? 10_000
        : 100;
  return Math.min(1, Math.max(0, Number(p.numerator ?? 0) / den));
}

// ---- string matchers (envoy.type.matcher.v3.StringMatcher and the legacy HeaderMatcher fields) ----

export type StringMatch =
  | { kind: 'exact' | 'prefix' | 'suffix' | 'contains'; value: string; ignoreCase: boolean }
  | { kind: 'regex'; source: string; regex: RegExp };

export function compileRegex(source: string, issues: IssueList, path: string): RegExp | undefined {
  try {
    // Envoy's safe_regex is RE2 and matches the whole value; anchor to get the same semantics.
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    issues.add('PROXY_ERR_INVALID_REGEX', path, `"${source}" does not compile: ${(err as Error).message}`);
    return undefined;
  }
}

interface StringMatcherLike {
  exact?: string | null;
  prefix?: string | null;
  suffix?: string | null;
  contains?: string | null;
  safeRegex?: { regex?: string | null } | null;
  ignoreCase?: boolean | null;
}

export function translateStringMatcher(
  m: StringMatcherLike | null | undefined,
  issues: IssueList,
  path: string,
): StringMatch | undefined {
  if (!m) {
    issues.add('PROXY_ERR_MISSING_FIELD', path, 'a string matcher is required');
    return undefined;
  }
  const ignoreCase = m.ignoreCase === true;
  if (m.exact != null) return { kind: 'exact', value: m.exact, ignoreCase };
  if (m.prefix != null) return { kind: 'prefix', value: m.prefix, ignoreCase };
  if (m.suffix != null) return { kind: 'suffix', value: m.suffix, ignoreCase };
  if (m.contains != null) return { kind: 'contains', value: m.contains, ignoreCase };
  if (m.safeRegex != null) {
    const source = m.safeRegex.regex ?? '';
    const regex = compileRegex(source, issues, `${path}.safe_regex.regex`);
    return regex ? { kind: 'regex', source, regex } : undefined;
  }
  issues.add(
    'PROXY_ERR_MISSING_FIELD',
    path,
    'one of exact, prefix, suffix, contains, safe_regex is required',
  );
  return undefined;
}

export function matchString(m: StringMatch, value: string): boolean {
  if (m.kind === 'regex') return m.regex.test(value);
  const v = m.ignoreCase ? value.toLowerCase() : value;
  const want = m.ignoreCase ? m.value.toLowerCase() : m.value;
  switch (m.kind) {
    case 'exact':
      return v === want;
    case 'prefix':
      return v.startsWith(want);
    case 'suffix':
      return v.endsWith(want);
    case 'contains':
      return v.includes(want);
  }
}

// ---- header mutations ----

export type AppendAction = 'append' | 'add_if_absent' | 'overwrite_or_add' | 'overwrite_if_exists';

export interface HeaderMutation {
  name: string;
  value: string;
  action: AppendAction;
}

const Append = envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;

interface HeaderValueOptionLike {
  header?: { key?: string | null; value?: string | null } | null;
  append?: { value?: boolean | null } | null;
  appendAction?: number | null;
}

export function translateHeaderMutations(
  opts: readonly HeaderValueOptionLike[] | null | undefined,
  issues: IssueList,
  path: string,
): HeaderMutation[] {
  const out: HeaderMutation[] = [];
  (opts ?? []).forEach((o, i) => {
    const name = (o.header?.key ?? '').toLowerCase();
    if (!name) {
      issues.add('PROXY_ERR_MISSING_FIELD', `${path}[${i}].header.key`, 'a header key is required');
      return;
    }
    if (name.startsWith(':') || name === 'host') {
      issues.add('PROXY_ERR_INVALID_VALUE', `${path}[${i}].header.key`, `"${name}" cannot be mutated`);
      return;
    }
    // Rejected here rather than thrown later by node while writing a response head.
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${path}[${i}].header.key`,
        `"${name}" is not a valid header name`,
      );
      return;
    }
    if (/[\r\n\0]/.test(o.header?.value ?? '')) {
      issues.add(
        'PROXY_ERR_INVALID_VALUE',
        `${path}[${i}].header.value`,
        'a header value cannot contain CR, LF or NUL',
      );
      return;
    }
    let action: AppendAction;
    if (o.append != null) action = o.append.value === false ? 'overwrite_or_add' : 'append';
    else if (o.appendAction === Append.ADD_IF_ABSENT) action = 'add_if_absent';
    else if (o.appendAction === Append.OVERWRITE_IF_EXISTS_OR_ADD) action = 'overwrite_or_add';
    else if (o.appendAction === Append.OVERWRITE_IF_EXISTS) action = 'overwrite_if_exists';
    else action = 'append';
    out.push({ name, value: o.header?.value ?? '', action });
  });
  return out;
}

export interface SocketAddressModel {
  host: string;
  port: number;
}

interface AddressLike {
  socketAddress?: { address?: string | null; portValue?: number | null } | null;
  pipe?: { path?: string | null } | null;
}

export function translateAddress(
  a: AddressLike | null | undefined,
  issues: IssueList,
  path: string,
  allowPortZero: boolean,
): SocketAddressModel | undefined {
  const sa = a?.socketAddress;
  if (!sa) {
    issues.add(
      a?.pipe ? 'PROXY_ERR_UNSUPPORTED' : 'PROXY_ERR_MISSING_FIELD',
      `${path}.socket_address`,
      'a socket_address is required',
    );
    return undefined;
  }
  const host = sa.address ?? '';
  const port = Number(sa.portValue ?? 0);
  if (!host)
    issues.add('PROXY_ERR_MISSING_FIELD', `${path}.socket_address.address`, 'an address is required');
  if (!Number.isInteger(port) || port < (allowPortZero ? 0 : 1) || port > 65535) {
    issues.add(
      'PROXY_ERR_INVALID_VALUE',
      `${path}.socket_address.port_value`,
      `port ${port} is outside ${allowPortZero ? 0 : 1}..65535`,
    );
  }
  return { host, port };
}

/** JSON.stringify with RegExp as its source: the equality key used to decide whether a change matters. */
export function stableKey(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof RegExp ? `/${x.source}/` : x));
}
