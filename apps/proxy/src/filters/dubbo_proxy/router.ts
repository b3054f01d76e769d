// Envoy's dubbo router matching: the route configuration whose interface (and group / version when set)
// fits the call, then its first route whose method name, argument values and attachments match.
// Arguments are decoded only when a candidate route has params_match, and at most once per call.
import type { RequestRoute } from '@strait/dubbo/codec';
import { matchString } from '../../model/common.js';
import type { HeaderMatchModel } from '../../model/route.js';
import type { DubboRouteConfigModel, DubboRouteModel, ParamMatchModel } from './config.js';

export interface CallInfo {
  route: RequestRoute;
  /** Decodes the arguments on first use; undefined when they do not decode. */
  args(): readonly unknown[] | undefined;
}

function attachment(route: RequestRoute, name: string): string | undefined {
  const v = route.attachments[name];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

/**
 * Header matchers carry lower-cased names (HTTP rules) but attachment keys are case-sensitive Java map
 * keys ("X-Canary"): exact key first, then a case-insensitive scan only on a miss.
 */
function attachmentForMatcher(route: RequestRoute, lowerName: string): string | undefined {
  const v = attachment(route, lowerName);
  if (v !== undefined) return v;
  for (const k of Object.keys(route.attachments)) {
    if (k.length === lowerName.length && k.toLowerCase() === lowerName) return attachment(route, k);
  }
  return undefined;
}

export function selectRouteConfig(
  configs: readonly DubboRouteConfigModel[],
  route: RequestRoute,
): DubboRouteConfigModel | undefined {
  const group = attachment(route, 'group') ?? '';
  const version = route.version ?? attachment(route, 'version') ?? '';
  return configs.find(
    (c) =>
      (c.interface === '*' || c.interface === route.service) &&
      (c.group === '' || c.group === group) &&
      (c.version === '' || c.version === version),
  );
}

export function matchRoute(config: DubboRouteConfigModel, call: CallInfo): DubboRouteModel | undefined {
  for (const r of config.routes) if (routeMatches(r, call)) return r;
  return undefined;
}

function routeMatches(r: DubboRouteModel, call: CallInfo): boolean {
  if (r.method && !matchString(r.method, call.route.method)) return false;
  for (const h of r.headers) if (!headerMatches(h, call.route)) return false;
  if (r.params.length === 0) return true;
  const args = call.args();
  if (!args) return false;
  return r.params.every((p) => paramMatches(p, args[p.index]));
}

function headerMatches(m: HeaderMatchModel, route: RequestRoute): boolean {
  let value = attachmentForMatcher(route, m.name);
  if (value === undefined && m.treatMissingAsEmpty) value = '';
  let ok: boolean;
  if (m.present !== undefined) ok = (value !== undefined) === m.present;
  else if (value === undefined) ok = false;
  else if (m.match?.kind === 'range') {
    const n = Number(value);
    ok = Number.isInteger(n) && n >= m.match.start && n < m.match.end;
  } else ok = m.match ? matchString(m.match, value) : true;
  return m.invert ? !ok : ok;
}

/** A decoded argument as an integer, when it is one (int, long as number/bigint/Long, numeric string). */
function asInteger(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (typeof v === 'object' && v !== null && 'toNumber' in v && typeof v.toNumber === 'function') {
    const n: unknown = v.toNumber();
    return typeof n === 'number' ? n : undefined;
  }
  return undefined;
}

function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  const n = asInteger(v);
  return n === undefined ? undefined : String(n);
}

export function paramMatches(p: ParamMatchModel, v: unknown): boolean {
  if (p.kind === 'exact') return asText(v) === p.value;
  const n = asInteger(v);
  return n !== undefined && n >= p.start && n < p.end;
}

/** Weighted choice among the route's clusters; `r` in [0, 1). */
export function pickCluster(route: DubboRouteModel, r: number): string | undefined {
  const cs = route.clusters;
  if (cs.length <= 1) return cs[0]?.name;
  let x = r * route.totalWeight;
  for (const c of cs) {
    x -= c.weight;
    if (x < 0) return c.name;
  }
  return cs[cs.length - 1]?.name;
}
