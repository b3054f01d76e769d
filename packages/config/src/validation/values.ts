// Rules for individual values, shared by all kinds. Limits follow Istio's validation package
// (pkg/config/validation) unless a comment says why Strait differs.
import { isIP } from 'node:net';
import { at, entries, type Issues, isObj, num, show, str } from './issues.js';

// --- names -----------------------------------------------------------------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1123Label(v: string): boolean {
  return v.length <= 63 && DNS1123_LABEL.test(v);
}

export function isDns1123Subdomain(v: string): boolean {
  return v.length <= 253 && v.split('.').every(isDns1123Label);
}

// --- hosts -----------------------------------------------------------------------------------------

/** A DNS label as Istio's host validation accepts it: letters, digits, hyphens, any case, <= 63 chars. */
const HOST_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?$/;

export interface HostRules {
  /** "prefix": `*.example.com` and `*` allowed; "none": no wildcard. */
  wildcard: 'prefix' | 'none';
  /** `*` on its own is refused even when prefix wildcards are allowed (e.g. VirtualService for mesh). */
  bareWildcard?: boolean;
  allowIp?: boolean;
}

/** Returns why `host` is invalid, or undefined. */
export function hostProblem(host: string, rules: HostRules): string | undefined {
  if (host === '') return 'empty host';
  if (host.length > 255) return `host is ${host.length} characters, limit 255`;
  if (host === '*')
    return rules.wildcard === 'prefix' && rules.bareWildcard !== false
      ? undefined
      : 'wildcard "*" is not allowed here';
  if (isIP(host) !== 0) return rules.allowIp ? undefined : 'IP addresses are not allowed here';
  let name = host;
  if (host.startsWith('*.')) {
    if (rules.wildcard !== 'prefix') return 'wildcards are not allowed here';
    name = host.slice(2);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  for (const label of name.split('.')) {
    if (label.includes('*')) return 'a wildcard is only allowed as the leading "*." label';
    if (label.length > 63) return `label ${show(label)} is ${label.length} characters, limit 63`;
    if (!HOST_LABEL.test(label)) return `label ${show(label)} is not a DNS label`;
  }
  return undefined;
}

export function checkHost(issues: Issues, path: string, v: unknown, rules: HostRules): void {
  const host = str(v);
  if (host === undefined) return;
  const problem = hostProblem(host, rules);
  if (problem) issues.error('CFG_ERR_INVALID_HOST', path, `invalid host ${show(host)}: ${problem}`);
}

// --- durations ---------------------------------------------------------------------------------------

const DURATION = /^(?:(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|ns|h|m|s))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|ns|h|m|s)/g;
const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};

/**
 * Parse a Go-style duration ("1h30m", "1.5s", "100ms") into milliseconds; undefined when malformed.
 * Go's format because Istio's CRDs validate durations with it; "0" alone is accepted as Go does.
 */
export function parseDuration(v: string): number | undefined {
  if (v === '0') return 0;
  if (!DURATION.test(v)) return undefined;
  let ms = 0;
  for (const m of v.matchAll(DURATION_PART)) ms += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
  return ms;
}

/** Duration as protobuf's {seconds, nanos}, for translators building Envoy messages. */
export function durationToProto(v: string): { seconds: number; nanos: number } | undefined {
  const ms = parseDuration(v);
  if (ms === undefined) return undefined;
  const totalNanos = Math.round(ms * 1e6);
  return { seconds: Math.floor(totalNanos / 1e9), nanos: totalNanos % 1e9 };
}

export interface DurationRules {
  /** Smallest allowed value in ms (Istio: 1ms for everything unless stated). */
  minMs?: number;
  /** `0s` is allowed as "disabled" even though it is below minMs (route timeout). */
  allowZero?: boolean;
  /** Envoy stores the value in whole seconds (keepalive): finer values would be silently truncated. */
  wholeSeconds?: boolean;
}

export function checkDuration(issues: Issues, path: string, v: unknown, rules: DurationRules = {}): void {
  const d = str(v);
  if (d === undefined) return;
  const ms = parseDuration(d);
  if (ms === undefined) {
    issues.error(
      'CFG_ERR_INVALID_DURATION',
      path,
      `${show(d)} is not a duration (examples: "1s", "100ms", "1m30s")`,
    );
    return;
  }
  const min = rules.minMs ?? 1;
  if (ms === 0 && rules.allowZero) return;
  if (ms < min) {
    issues.error('CFG_ERR_INVALID_DURATION', path, `${show(d)} is below the minimum of ${formatMs(min)}`);
    return;
  }
  // Istio: "only durations to ms precision are supported"; Envoy would truncate anything finer.
  if (!Number.isInteger(Math.round(ms * 1e6) / 1e6)) {
    issues.error('CFG_ERR_INVALID_DURATION', path, `${show(d)} is finer than the 1ms precision supported`);
    return;
  }
  if (rules.wholeSeconds && ms % 1000 !== 0)
    issues.error('CFG_ERR_INVALID_DURATION', path, `${show(d)} must be a whole number of seconds`);
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

// --- numbers ---------------------------------------------------------------------------------------

export const INT32_MAX = 2_147_483_647;
export const UINT32_MAX = 4_294_967_295;

export function checkRange(issues: Issues, path: string, v: unknown, min: number, max: number): void {
  const n = num(v);
  if (n === undefined) return;
  if (n < min || n > max) issues.error('CFG_ERR_OUT_OF_RANGE', path, `${n} is outside ${min}..${max}`);
}

export function checkPort(issues: Issues, path: string, v: unknown): void {
  const n = num(v);
  if (n === undefined) return;
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    issues.error('CFG_ERR_INVALID_PORT', path, `port ${n} is outside 1..65535`);
}

/** Istio's Percent: a double in [0, 100]. `v` is the Percent message. */
export function checkPercent(issues: Issues, path: string, v: unknown): void {
  if (!isObj(v)) return;
  checkPercentValue(issues, at(path, 'value'), v['value']);
}

export function checkPercentValue(issues: Issues, path: string, v: unknown): void {
  const n = num(v);
  if (n === undefined) return;
  if (n < 0 || n > 100) issues.error('CFG_ERR_INVALID_PERCENTAGE', path, `percentage ${n} is outside 0..100`);
}

// --- regex -----------------------------------------------------------------------------------------

// RE2 (what Envoy runs) rejects these; JavaScript accepts them, so compiling in JS alone is not enough.
const NOT_RE2: [RegExp, string][] = [
  [/\(\?<?[=!]/, 'lookaround assertions'],
  [/\\[1-9]/, 'backreferences'],
  [/\\k</, 'named backreferences'],
  [/\(\?<[A-Za-z]/, 'JavaScript-style named groups (RE2 uses (?P<name>...))'],
];

/** Envoy's default regex program size limit is about this many characters of pattern in practice. */
const MAX_REGEX_LENGTH = 1024;

export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH)
    return `pattern is ${pattern.length} characters, limit ${MAX_REGEX_LENGTH}`;
  for (const [re, what] of NOT_RE2) if (re.test(pattern)) return `RE2 does not support ${what}`;
  // RE2's named group syntax is (?P<name>...); translate it so the JS compile check accepts it.
  const js = pattern.replace(/\(\?P</g, '(?<');
  try {
    new RegExp(js, 'u');
  } catch (e) {
    try {
      // Some valid RE2 (e.g. `\_` escapes) fails only in unicode mode; accept it if legacy mode compiles.
      new RegExp(js);
    } catch {
      return (e as Error).message;
    }
  }
  return undefined;
}

export function checkRegex(issues: Issues, path: string, v: unknown): void {
  const pattern = str(v);
  if (pattern === undefined) return;
  const problem = regexProblem(pattern);
  if (problem) issues.error('CFG_ERR_INVALID_REGEX', path, `invalid regex ${show(pattern)}: ${problem}`);
}

// --- string matches ----------------------------------------------------------------------------------

const MATCH_TYPES = ['exact', 'prefix', 'regex'] as const;

/**
 * Istio's StringMatch: exactly one of exact/prefix/regex. `allowEmpty`: header matches where `{}` means
 * "present".
 */
export function checkStringMatch(issues: Issues, path: string, v: unknown, allowEmpty = false): void {
  if (!isObj(v)) return;
  const set = MATCH_TYPES.filter((k) => v[k] !== undefined && v[k] !== null);
  if (set.length > 1)
    issues.error(
      'CFG_ERR_ONEOF',
      path,
      `only one of exact, prefix, regex may be set, found ${set.join(', ')}`,
    );
  else if (set.length === 0 && !allowEmpty)
    issues.error('CFG_ERR_ONEOF', path, 'one of exact, prefix, regex is required');
  checkRegex(issues, at(path, 'regex'), v['regex']);
}

// --- headers ---------------------------------------------------------------------------------------

// RFC 9110 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/;

export function headerNameProblem(name: string, opts: { allowPseudo?: boolean } = {}): string | undefined {
  if (name === '') return 'empty header name';
  const bare = opts.allowPseudo && name.startsWith(':') ? name.slice(1) : name;
  if (!TOKEN.test(bare)) return 'not an HTTP header token';
  // Envoy keeps headers lower-case internally; Istio rejects upper-case names in matches.
  if (name !== name.toLowerCase()) return 'header names must be lower-case';
  return undefined;
}

export function checkHeaderName(
  issues: Issues,
  path: string,
  name: string,
  opts: { allowPseudo?: boolean } = {},
): void {
  const problem = headerNameProblem(name, opts);
  if (problem)
    issues.error('CFG_ERR_INVALID_HEADER_NAME', path, `invalid header name ${show(name)}: ${problem}`);
}

/**
 * Header operations may not touch pseudo-headers or Host, which Envoy refuses to mutate, except that
 * request `set`/`add` of `host` or `:authority` is Istio's way to rewrite the authority.
 */
export function checkHeaderOperations(issues: Issues, path: string, v: unknown, request: boolean): void {
  if (!isObj(v)) return;
  for (const op of ['set', 'add'] as const) {
    for (const [name] of entries(v[op])) checkMutableHeader(issues, at(at(path, op), name), name, request);
  }
  const remove = v['remove'];
  if (Array.isArray(remove))
    remove.forEach((name, i) => {
      if (typeof name === 'string') checkMutableHeader(issues, at(at(path, 'remove'), i), name, false);
    });
}

export function isAuthorityHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === ':authority' || lower === 'host';
}

function checkMutableHeader(issues: Issues, path: string, name: string, authorityAllowed: boolean): void {
  if (authorityAllowed && isAuthorityHeader(name)) return;
  const lower = name.toLowerCase();
  if (lower.startsWith(':') || lower === 'host') {
    issues.error(
      'CFG_ERR_INVALID_HEADER_NAME',
      path,
      `header ${show(name)} cannot be modified (pseudo-header or host)`,
    );
    return;
  }
  // Header operations are case-insensitive in Envoy, so upper-case is fine here (unlike matches).
  if (!TOKEN.test(name))
    issues.error('CFG_ERR_INVALID_HEADER_NAME', path, `invalid header name ${show(name)}`);
}

// --- labels ----------------------------------------------------------------------------------------

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function checkLabels(issues: Issues, path: string, v: unknown): void {
  for (const [key, value] of entries(v)) {
    const p = at(path, key);
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (prefix !== undefined && !isDns1123Subdomain(prefix))
      issues.error(
        'CFG_ERR_INVALID_LABEL',
        p,
        `label key prefix ${show(prefix)} is not a DNS-1123 subdomain`,
      );
    if (name.length > 63 || !LABEL_NAME.test(name))
      issues.error(
        'CFG_ERR_INVALID_LABEL',
        p,
        `label key ${show(key)} is not a valid label name (<= 63 chars, alphanumeric, -_.)`,
      );
    if (typeof value === 'string' && value !== '' && (value.length > 63 || !LABEL_NAME.test(value)))
      issues.error(
        'CFG_ERR_INVALID_LABEL',
        p,
        `label value ${show(value)} is not a valid label value (<= 63 chars, alphanumeric, -_.)`,
      );
  }
}

/**
 * A WorkloadSelector's labels. Istio only warns when they are empty (the object then applies to every
 * workload in the namespace) to stay compatible with existing configs; so do we.
 */
export function checkWorkloadSelector(issues: Issues, path: string, v: unknown, key = 'labels'): void {
  if (!isObj(v)) return;
  const labels = v[key];
  if (!isObj(labels) || Object.keys(labels).length === 0)
    issues.warn(
      'CFG_WARN_SUSPICIOUS',
      at(path, key),
      'workloadSelector has no labels: it selects every workload in the namespace',
    );
  else {
    checkLabels(issues, at(path, key), labels);
    for (const [k, val] of Object.entries(labels))
      if (k.includes('*') || (typeof val === 'string' && val.includes('*')))
        issues.error(
          'CFG_ERR_INVALID_LABEL',
          at(at(path, key), k),
          'wildcards are not supported in workload selectors',
        );
  }
}

// --- addresses -------------------------------------------------------------------------------------

export function cidrProblem(v: string): string | undefined {
  const slash = v.indexOf('/');
  const ip = slash >= 0 ? v.slice(0, slash) : v;
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  if (slash < 0) return undefined;
  const bits = v.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d+$/.test(bits) || Number(bits) > max) return `prefix length ${show(bits)} is outside 0..${max}`;
  return undefined;
}

export function checkCidr(issues: Issues, path: string, v: unknown): void {
  const s = str(v);
  if (s === undefined) return;
  const problem = cidrProblem(s);
  if (problem)
    issues.error('CFG_ERR_INVALID_ADDRESS', path, `${show(s)} is not an IP address or CIDR: ${problem}`);
}

// --- exportTo --------------------------------------------------------------------------------------

export function checkExportTo(issues: Issues, path: string, v: unknown): void {
  if (!Array.isArray(v)) return;
  const seen = new Set<string>();
  v.forEach((e, i) => {
    if (typeof e !== 'string') return;
    const p = at(path, i);
    if (seen.has(e)) issues.error('CFG_ERR_DUPLICATE', p, `exportTo entry ${show(e)} appears twice`);
    seen.add(e);
    if (e !== '.' && e !== '*' && e !== '~' && !isDns1123Label(e))
      issues.error(
        'CFG_ERR_INVALID_EXPORT_TO',
        p,
        `exportTo entry ${show(e)} is not ".", "*", "~" or a namespace name`,
      );
  });
  if ((seen.has('*') || seen.has('~')) && seen.size > 1)
    issues.error(
      'CFG_ERR_INVALID_EXPORT_TO',
      path,
      '"*" and "~" cannot be combined with other exportTo entries',
    );
}

// --- weights ---------------------------------------------------------------------------------------

/**
 * Route destination weights, as Istio validates them since 1.15 (istio/istio#39544): weights are
 * relative, so each is a non-negative int32 and, with more than one destination, their total must be
 * above 0 (a split with no traffic anywhere). A single destination takes all traffic whatever its
 * weight. The total is also bounded by int32: Istio adds the weights up as an int32, and Envoy's
 * weighted_clusters refuses totals beyond uint32, so a larger total would overflow on one side or be
 * NACKed on the other.
 */
export function checkWeights(issues: Issues, path: string, destinations: unknown): void {
  if (!Array.isArray(destinations)) return;
  let total = 0;
  let allValid = true;
  destinations.forEach((d, i) => {
    if (!isObj(d)) return;
    const w = num(d['weight']);
    if (w === undefined) return; // omitted is 0, as in Istio's proto3 field
    const p = at(at(path, i), 'weight');
    if (w < 0) {
      issues.error('CFG_ERR_INVALID_WEIGHT', p, `weight ${w} is negative; weights must be >= 0`);
      allValid = false;
    } else if (w > INT32_MAX) {
      issues.error('CFG_ERR_INVALID_WEIGHT', p, `weight ${w} is above the int32 limit of ${INT32_MAX}`);
      allValid = false;
    } else total += w;
  });
  // Only judge the total of weights that are valid one by one, so one typo is reported once.
  if (!allValid || destinations.length < 2) return;
  if (total === 0)
    issues.error(
      'CFG_ERR_WEIGHT_SUM',
      path,
      `weights add up to 0 across ${destinations.length} destinations; at least one must be above 0`,
    );
  else if (total > INT32_MAX)
    issues.error('CFG_ERR_WEIGHT_SUM', path, `weights add up to ${total}, above the limit of ${INT32_MAX}`);
}

/** Names that must be unique within a list (subset names, port numbers...). */
export function checkUnique(issues: Issues, path: string, list: unknown, key: string, what: string): void {
  if (!Array.isArray(list)) return;
  const seen = new Map<unknown, number>();
  list.forEach((item, i) => {
    if (!isObj(item)) return;
    const v = item[key];
    if (v === undefined || v === null) return;
    const first = seen.get(v);
    if (first !== undefined)
      issues.error(
        'CFG_ERR_DUPLICATE',
        at(at(path, i), key),
        `${what} ${show(v)} is already used by ${at(path, first)}`,
      );
    else seen.set(v, i);
  });
}
