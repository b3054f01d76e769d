// Pure route selection: virtual host by authority (Envoy's order: exact, longest suffix wildcard,
// longest prefix wildcard, then "*"), then the first route whose path, headers and query match.
import { matchString } from '../../model/common.js';
import type { HeaderMatchModel, RouteModel, RouteTableModel, VirtualHostModel } from '../../model/route.js';
import { type Headers, headerValue } from '../../protocols/types.js';

/** Per-table domain index, built once per RouteTableModel. */
interface DomainIndex {
  exact: Map<string, VirtualHostModel>;
  suffix: { suffix: string; vh: VirtualHostModel }[];
  prefix: { prefix: string; vh: VirtualHostModel }[];
  any?: VirtualHostModel;
}

const indexes = new WeakMap<RouteTableModel, DomainIndex>();

function indexFor(table: RouteTableModel): DomainIndex {
  let idx = indexes.get(table);
  if (idx) return idx;
  idx = { exact: new Map(), suffix: [], prefix: [] };
  for (const vh of table.virtualHosts) {
    for (const d of vh.domains) {
      if (d === '*') idx.any ??= vh;
      else if (d.startsWith('*')) idx.suffix.push({ suffix: d.slice(1), vh });
      else if (d.endsWith('*')) idx.prefix.push({ prefix: d.slice(0, -1), vh });
      else if (!idx.exact.has(d)) idx.exact.set(d, vh);
    }
  }
  idx.suffix.sort((a, b) => b.suffix.length - a.suffix.length);
  idx.prefix.sort((a, b) => b.prefix.length - a.prefix.length);
  indexes.set(table, idx);
  return idx;
}

function lookup(idx: DomainIndex, host: string): VirtualHostModel | undefined {
  const exact = idx.exact.get(host);
  if (exact) return exact;
  for (const s of idx.suffix) if (host.endsWith(s.suffix) && host.length > s.suffix.length) return s.vh;
  for (const p of idx.prefix) if (host.startsWith(p.prefix) && host.length > p.prefix.length) return p.vh;
  return undefined;
}

export function selectVirtualHost(table: RouteTableModel, authority: string): VirtualHostModel | undefined {
  const idx = indexFor(table);
  const host = authority.toLowerCase();
  const found = lookup(idx, host);
  if (found) return found;
  // Envoy matches the port-less host too when the domain list has no port (strip_matching_host_port).
  const colon = host.lastIndexOf(':');
  if (colon > 0 && !host.endsWith(']')) {
    const bare = lookup(idx, host.slice(0, colon));
    if (bare) return bare;
  }
  return idx.any;
}

export interface MatchInput {
  path: string;
  headers: Headers;
  method: string;
  contentType?: string;
}

function splitPath(p: string): { path: string; query: string } {
  const q = p.indexOf('?');
  return q < 0 ? { path: p, query: '' } : { path: p.slice(0, q), query: p.slice(q + 1) };
}

function pathMatches(route: RouteModel, path: string): boolean {
  const pm = route.match.path;
  const cs = route.match.caseSensitive;
  const p = cs ? path : path.toLowerCase();
  switch (pm.kind) {
    case 'prefix':
      return p.startsWith(cs ? pm.value : pm.value.toLowerCase());
    case 'exact':
      return p === (cs ? pm.value : pm.value.toLowerCase());
    case 'separated_prefix': {
      const v = cs ? pm.value : pm.value.toLowerCase();
      return p === v || p.startsWith(`${v}/`);
    }
    case 'regex':
      return pm.regex.test(path);
  }
}

export function headerMatches(m: HeaderMatchModel, headers: Headers, extra: Record<string, string>): boolean {
  let value = extra[m.name] ?? headerValue(headers, m.name);
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

function queryMatches(route: RouteModel, query: string): boolean {
  if (route.match.queryParams.length === 0) return true;
  const params = new URLSearchParams(query);
  return route.match.queryParams.every((q) => {
    const v = params.get(q.name);
    if (q.present !== undefined) return (v !== null) === q.present;
    if (v === null) return false;
    return q.match ? matchString(q.match, v) : true;
  });
}

export function matchRoute(vh: VirtualHostModel, input: MatchInput): RouteModel | undefined {
  const { path, query } = splitPath(input.path);
  // Pseudo-headers are matchable as in Envoy (":method", ":path", ":authority" handled by callers).
  const pseudo: Record<string, string> = { ':method': input.method, ':path': input.path };
  for (const r of vh.routes) {
    if (!pathMatches(r, path)) continue;
    if (r.match.grpcOnly && !(input.contentType ?? '').startsWith('application/grpc')) continue;
    if (!r.match.headers.every((h) => headerMatches(h, input.headers, pseudo))) continue;
    if (!queryMatches(r, query)) continue;
    return r;
  }
  return undefined;
}
