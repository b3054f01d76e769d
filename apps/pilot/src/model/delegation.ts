// VirtualService delegation, merged before translation the way Istio's mergeVirtualServicesIfNeeded
// does: a VirtualService without hosts is a delegate (never applied by itself); a root route with
// `delegate` is replaced by the delegate's HTTP routes, each with its matches narrowed by the root's
// (conjunction; a delegate route whose matches conflict with every root match is dropped) and the
// root's other fields filling what the delegate leaves unset. One level only: a delegate that
// delegates again is refused, so chains and cycles cannot form. Pure.
import type { Destination, HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from '@strait/config';

/** A root route (or one of its delegate's routes) that could not be applied, for logs and /debug/configz. */
export interface DelegationProblem {
  /** `namespace/name` of the root VirtualService. */
  readonly root: string;
  /** `spec.http[i]` of the root route that delegates. */
  readonly route: string;
  /** `namespace/name` of the delegate it names. */
  readonly delegate: string;
  readonly reason: string;
}

export interface DelegationResult {
  /** Roots merged, other VirtualServices as they were, delegates left out; config order kept. */
  readonly virtualServices: VirtualService[];
  readonly problems: DelegationProblem[];
}

const nsOf = (vs: VirtualService) => vs.metadata.namespace ?? 'default';
const keyOf = (ns: string, name: string) => `${ns}/${name}`;

export function isDelegate(vs: VirtualService): boolean {
  return (vs.spec.hosts ?? []).length === 0;
}

/** Whether the delegate's exportTo lets a root in `namespace` use it (no exportTo: everyone). */
function exportedTo(delegate: VirtualService, namespace: string): boolean {
  const list = delegate.spec.exportTo ?? [];
  if (list.length === 0) return true;
  return list.some((e) => e === '*' || e === namespace || (e === '.' && nsOf(delegate) === namespace));
}

/**
 * @param resolve Istio's short-name rule for the delegate's destinations, applied in the delegate's
 *   namespace (once merged, the routes live in the root, which may be elsewhere).
 */
export function mergeDelegates(
  all: readonly VirtualService[],
  resolve: (host: string, namespace: string) => string,
): DelegationResult {
  const delegates = new Map<string, VirtualService>();
  for (const vs of all) if (isDelegate(vs)) delegates.set(keyOf(nsOf(vs), vs.metadata.name), vs);
  const problems: DelegationProblem[] = [];
  const out: VirtualService[] = [];
  for (const vs of all) {
    if (isDelegate(vs)) continue;
    const http = vs.spec.http ?? [];
    if (!http.some((r) => r.delegate)) {
      out.push(vs);
      continue;
    }
    const rootKey = keyOf(nsOf(vs), vs.metadata.name);
    const merged: HTTPRoute[] = [];
    http.forEach((route, i) => {
      if (!route.delegate) {
        merged.push(route);
        return;
      }
      const ref = keyOf(route.delegate.namespace || nsOf(vs), route.delegate.name ?? '');
      const report = (reason: string) =>
        problems.push({ root: rootKey, route: `spec.http[${i}]`, delegate: ref, reason });
      const delegate = delegates.get(ref);
      if (!delegate) {
        report('delegate VirtualService not found (it must exist and have no hosts); the route is dropped');
        return;
      }
      if (!exportedTo(delegate, nsOf(vs))) {
        report(`delegate VirtualService is not exported to namespace ${nsOf(vs)}; the route is dropped`);
        return;
      }
      (delegate.spec.http ?? []).forEach((sub, j) => {
        if (sub.delegate) {
          report(`its spec.http[${j}] delegates again; delegation is one level only, that route is dropped`);
          return;
        }
        const m = mergeHttpRoute(route, resolveDestinations(sub, nsOf(delegate), resolve));
        if (m) merged.push(m);
        else
          report(
            `its spec.http[${j}] matches nothing the root route matches (conflicting match); that route is dropped`,
          );
      });
    });
    out.push({ ...vs, spec: { ...vs.spec, http: merged } });
  }
  return { virtualServices: out, problems };
}

function resolveDestinations(
  r: HTTPRoute,
  ns: string,
  resolve: (host: string, namespace: string) => string,
): HTTPRoute {
  const dest = (d: Destination): Destination => ({ ...d, host: resolve(d.host, ns) });
  const out: HTTPRoute = { ...r };
  if (r.route) out.route = r.route.map((d) => ({ ...d, destination: dest(d.destination) }));
  if (r.mirror) out.mirror = dest(r.mirror);
  if (r.mirrors) out.mirrors = r.mirrors.map((m) => ({ ...m, destination: dest(m.destination) }));
  return out;
}

/** A delegate route under its root route, or undefined when their matches conflict. */
export function mergeHttpRoute(root: HTTPRoute, sub: HTTPRoute): HTTPRoute | undefined {
  const match = mergeMatches(root.match ?? [], sub.match ?? []);
  if (match === undefined) return undefined;
  // Fields the delegate route leaves unset come from the root route (Istio's list, plus mirrors).
  const out: HTTPRoute = { ...sub };
  for (const k of [
    'rewrite',
    'timeout',
    'retries',
    'fault',
    'mirror',
    'mirrors',
    'mirrorPercent',
    'mirrorPercentage',
    'corsPolicy',
    'headers',
  ] as const) {
    if (out[k] === undefined && root[k] !== undefined) Object.assign(out, { [k]: root[k] });
  }
  // A root mirror and a delegate mirrors list (or the reverse) would set both forms; keep the delegate's.
  if (sub.mirror !== undefined) delete out.mirrors;
  if (sub.mirrors !== undefined) delete out.mirror;
  const name = joinNames(root.name, sub.name);
  if (name === undefined) delete out.name;
  else out.name = name;
  if (match.length > 0) out.match = match;
  else delete out.match;
  return out;
}

function joinNames(root: string | undefined, sub: string | undefined): string | undefined {
  if (!sub) return root;
  return root ? `${root}-${sub}` : sub;
}

/**
 * Each delegate match is combined with every root match it does not conflict with; a delegate match
 * compatible with none of them makes the whole delegate route conflict (Istio's rule).
 */
export function mergeMatches(
  root: readonly HTTPMatchRequest[],
  sub: readonly HTTPMatchRequest[],
): HTTPMatchRequest[] | undefined {
  if (root.length === 0) return [...sub];
  if (sub.length === 0) return [...root];
  const out: HTTPMatchRequest[] = [];
  for (const leaf of sub) {
    const compatible = root.filter((r) => !matchConflict(r, leaf));
    if (compatible.length === 0) return undefined;
    for (const r of compatible) out.push(mergeMatch(r, leaf));
  }
  return out;
}

function mergeMatch(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
  const out: HTTPMatchRequest = { ...leaf };
  const name = joinNames(root.name, leaf.name);
  if (name !== undefined) out.name = name;
  for (const k of ['uri', 'scheme', 'method', 'authority'] as const) {
    if (out[k] === undefined && root[k] !== undefined) out[k] = root[k];
  }
  for (const k of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    if (root[k] || leaf[k]) out[k] = { ...root[k], ...leaf[k] };
  }
  if (out.port === undefined && root.port !== undefined) out.port = root.port;
  if (out.ignoreUriCase === undefined && root.ignoreUriCase !== undefined)
    out.ignoreUriCase = root.ignoreUriCase;
  // Conjunction: who may match (source workload, namespace, gateway) stays as narrow as the root says.
  if (out.sourceLabels === undefined && root.sourceLabels) out.sourceLabels = root.sourceLabels;
  if (out.sourceNamespace === undefined && root.sourceNamespace) out.sourceNamespace = root.sourceNamespace;
  if (out.gateways === undefined && root.gateways) out.gateways = root.gateways;
  return out;
}

function matchConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  for (const k of ['uri', 'scheme', 'method', 'authority'] as const) {
    if (stringMatchConflict(root[k], leaf[k])) return true;
  }
  for (const k of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    for (const [name, v] of Object.entries(leaf[k] ?? {})) {
      if (stringMatchConflict(root[k]?.[name], v)) return true;
    }
  }
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  return root.port !== undefined && leaf.port !== undefined && root.port !== leaf.port;
}

/** Whether `leaf` can narrow `root`: only when it selects a subset of what `root` selects. */
function stringMatchConflict(root: StringMatch | undefined, leaf: StringMatch | undefined): boolean {
  if (root === undefined || leaf === undefined) return false;
  // Regexes cannot be compared, so Istio treats any regex on either side as a conflict.
  if (root.regex !== undefined || leaf.regex !== undefined) return true;
  if (root.exact !== undefined) return leaf.exact !== root.exact;
  if (root.prefix !== undefined) {
    if (leaf.prefix !== undefined) return !leaf.prefix.startsWith(root.prefix);
    if (leaf.exact !== undefined) return !leaf.exact.startsWith(root.prefix);
  }
  // Presence matches (`{}`) and anything else Istio does not compare: a conflict.
  return true;
}
