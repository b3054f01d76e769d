// VirtualService: schema and Istio's semantic rules (pkg/config/validation/virtualservice.go).
import { isIP } from 'node:net';
import { checkDestination, destination, percent, stringMatch } from './common.js';
import { arr, at, entries, type Issues, isObj, type Obj, str } from './issues.js';
import { deprecated, req, type Schema, s, stringMap, unsupported } from './schema.js';
import {
  checkCidr,
  checkDuration,
  checkExportTo,
  checkHeaderName,
  checkHeaderOperations,
  checkHost,
  checkLabels,
  checkPercent,
  checkPort,
  checkRange,
  checkRegex,
  checkStringMatch,
  checkWeights,
  hostProblem,
  INT32_MAX,
  isAuthorityHeader,
  isDns1123Label,
  isDns1123Subdomain,
} from './values.js';

const headerOperations = (): Schema => s.obj({ set: stringMap(), add: stringMap(), remove: s.arr(s.str()) });
const headers = (): Schema => s.obj({ request: headerOperations(), response: headerOperations() });

const httpMatch = (): Schema =>
  s.obj({
    name: s.str(),
    uri: stringMatch(),
    scheme: stringMatch(),
    method: stringMatch(),
    authority: stringMatch(),
    headers: s.map(stringMatch()),
    port: s.int(),
    sourceLabels: stringMap(),
    gateways: s.arr(s.str()),
    queryParams: s.map(stringMatch()),
    ignoreUriCase: s.bool(),
    withoutHeaders: s.map(stringMatch()),
    sourceNamespace: s.str(),
    statPrefix: unsupported(s.str(), 'per-route stat prefixes are not emitted'),
  });

const httpRoute = (): Schema =>
  s.obj({
    name: s.str(),
    match: s.arr(httpMatch()),
    route: s.arr(s.obj({ destination: req(destination()), weight: s.int(), headers: headers() })),
    redirect: s.obj({
      uri: s.str(),
      authority: s.str(),
      port: s.int(),
      derivePort: s.enm('FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'),
      scheme: s.str(),
      redirectCode: s.int(),
    }),
    directResponse: s.obj({ status: req(s.int()), body: s.obj({ string: s.str(), bytes: s.str() }) }),
    delegate: s.obj({ name: s.str(), namespace: s.str() }),
    rewrite: s.obj({
      uri: s.str(),
      authority: s.str(),
      uriRegexRewrite: s.obj({ match: s.str(), rewrite: s.str() }),
    }),
    timeout: s.str(),
    retries: s.obj({
      attempts: s.int(),
      perTryTimeout: s.str(),
      retryOn: s.str(),
      retryRemoteLocalities: s.bool(),
      retryIgnorePreviousHosts: s.bool(),
      backoff: s.str(),
    }),
    fault: s.obj({
      delay: s.obj({
        fixedDelay: s.str(),
        // Istio itself rejects exponentialDelay ("not supported yet").
        exponentialDelay: unsupported(s.str(), 'Istio and Strait only implement fixedDelay'),
        percentage: percent(),
        percent: deprecated(s.int(), 'use percentage.value'),
      }),
      abort: s.obj({
        httpStatus: s.int(),
        grpcStatus: s.str(),
        http2Error: unsupported(s.str(), 'Istio and Strait only implement httpStatus and grpcStatus'),
        percentage: percent(),
      }),
    }),
    mirror: destination(),
    mirrorPercent: deprecated(s.int(), 'use mirrorPercentage.value'),
    mirrorPercentage: percent(),
    mirrors: s.arr(s.obj({ destination: req(destination()), percentage: percent() })),
    corsPolicy: s.obj({
      allowOrigin: deprecated(s.arr(s.str()), 'use allowOrigins (string matches)'),
      allowOrigins: s.arr(stringMatch()),
      allowMethods: s.arr(s.str()),
      allowHeaders: s.arr(s.str()),
      exposeHeaders: s.arr(s.str()),
      maxAge: s.str(),
      allowCredentials: s.bool(),
      unmatchedPreflights: s.enm('UNSPECIFIED', 'FORWARD', 'IGNORE'),
    }),
    headers: headers(),
  });

const routeDestinations = (): Schema => s.arr(s.obj({ destination: req(destination()), weight: s.int() }));

export const virtualServiceSpec: Schema = s.obj({
  hosts: s.arr(s.str()),
  gateways: s.arr(s.str()),
  http: s.arr(httpRoute()),
  tls: s.arr(
    s.obj({
      match: s.arr(
        s.obj({
          sniHosts: req(s.arr(s.str())),
          destinationSubnets: s.arr(s.str()),
          port: s.int(),
          sourceLabels: stringMap(),
          gateways: s.arr(s.str()),
          sourceNamespace: s.str(),
        }),
      ),
      route: routeDestinations(),
    }),
  ),
  tcp: s.arr(
    s.obj({
      match: s.arr(
        s.obj({
          destinationSubnets: s.arr(s.str()),
          port: s.int(),
          sourceSubnet: unsupported(s.str(), 'Istio no longer implements it for sidecars'),
          sourceLabels: stringMap(),
          gateways: s.arr(s.str()),
          sourceNamespace: s.str(),
        }),
      ),
      route: routeDestinations(),
    }),
  ),
  exportTo: s.arr(s.str()),
});

/** Envoy's retry_on policies (router filter + gRPC); Istio accepts these plus bare HTTP status codes. */
export const RETRY_ON = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

export const GRPC_STATUS = new Set([
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);

const REDIRECT_CODES = [301, 302, 303, 307, 308];

export function validateVirtualService(spec: Obj, issues: Issues): void {
  const gateways = arr(spec['gateways']).filter((g): g is string => typeof g === 'string');
  const forMesh = gateways.length === 0 || gateways.includes('mesh');
  const hosts = spec['hosts'];
  // Istio: a VirtualService without hosts is a delegate. It is never applied by itself, only through
  // a root VirtualService's `http[].delegate`, so it names no gateways and carries only HTTP routes.
  const isDelegate = hosts === undefined || hosts === null || (Array.isArray(hosts) && hosts.length === 0);
  if (isDelegate) {
    if (gateways.length > 0)
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        'spec.gateways',
        'a delegate VirtualService (no hosts) cannot name gateways; the root VirtualService does',
      );
    for (const k of ['tls', 'tcp'])
      if (arr(spec[k]).length > 0)
        issues.error(
          'CFG_ERR_INVALID_VALUE',
          `spec.${k}`,
          `a delegate VirtualService (no hosts) can only have http routes, not ${k}; give it hosts to make it a VirtualService of its own`,
        );
    if (arr(spec['http']).length === 0)
      issues.error(
        'CFG_ERR_MISSING_FIELD',
        'spec',
        'a VirtualService needs at least one host, or, as a delegate (no hosts), at least one http route',
      );
  }
  arr(hosts).forEach((h, i) => {
    // Istio: "*" would capture every host for every sidecar, so it is only allowed on gateways.
    checkHost(issues, at('spec.hosts', i), h, { wildcard: 'prefix', bareWildcard: !forMesh, allowIp: true });
  });
  checkGateways(issues, 'spec.gateways', spec['gateways']);

  const http = arr(spec['http']);
  const tls = arr(spec['tls']);
  const tcp = arr(spec['tcp']);
  if (!isDelegate && http.length + tls.length + tcp.length === 0)
    issues.error(
      'CFG_ERR_MISSING_FIELD',
      'spec',
      'a VirtualService needs at least one http, tls or tcp route',
    );
  http.forEach((r, i) => {
    if (isObj(r)) validateHttpRoute(r, at('spec.http', i), issues, isDelegate);
  });
  tls.forEach((r, i) => {
    if (!isObj(r)) return;
    const p = at('spec.tls', i);
    const match = arr(r['match']);
    if (match.length === 0)
      issues.error('CFG_ERR_MISSING_FIELD', at(p, 'match'), 'a TLS route needs at least one match');
    match.forEach((m, j) => {
      if (!isObj(m)) return;
      const mp = at(at(p, 'match'), j);
      const sni = arr(m['sniHosts']);
      if (Array.isArray(m['sniHosts']) && sni.length === 0)
        issues.error('CFG_ERR_MISSING_FIELD', at(mp, 'sniHosts'), 'sniHosts needs at least one host');
      sni.forEach((h, k) => {
        checkSniHost(issues, at(at(mp, 'sniHosts'), k), h, arr(spec['hosts']));
      });
      validateL4Match(m, mp, issues);
    });
    validateRouteDestinations(r['route'], at(p, 'route'), issues);
  });
  tcp.forEach((r, i) => {
    if (!isObj(r)) return;
    const p = at('spec.tcp', i);
    arr(r['match']).forEach((m, j) => {
      if (isObj(m)) validateL4Match(m, at(at(p, 'match'), j), issues);
    });
    validateRouteDestinations(r['route'], at(p, 'route'), issues);
  });
  checkExportTo(issues, 'spec.exportTo', spec['exportTo']);
}

/**
 * Istio's SNI host rules: a DNS name (leading `*.` allowed) that is a subset of one of the
 * VirtualService's hosts (`a.example.com` and `*.a.example.com` fit `*.example.com`; anything fits
 * `*`), or an IP address, which Istio accepts with a warning (SNI carries no IPs, RFC 6066 §3).
 */
function checkSniHost(issues: Issues, path: string, v: unknown, hosts: unknown[]): void {
  const host = str(v);
  if (host === undefined) return;
  if (isIP(host) !== 0) {
    issues.warn(
      'CFG_WARN_SUSPICIOUS',
      path,
      `SNI host ${JSON.stringify(host)} is an IP address: SNI carries DNS names only and most clients send none for an IP`,
    );
    return;
  }
  const problem = hostProblem(host, { wildcard: 'prefix' });
  if (problem) {
    issues.error('CFG_ERR_INVALID_HOST', path, `invalid host ${JSON.stringify(host)}: ${problem}`);
    return;
  }
  const names = hosts.filter((h): h is string => typeof h === 'string');
  if (names.some((h) => hostSubsetOf(host.toLowerCase(), h.toLowerCase()))) return;
  issues.error(
    'CFG_ERR_INVALID_HOST',
    path,
    `SNI host ${JSON.stringify(host)} is not a subset of any of the VirtualService hosts [${names.join(', ')}]`,
  );
}

/** Whether every name `sub` matches is matched by `sup` (Istio's host.Name.SubsetOf). */
function hostSubsetOf(sub: string, sup: string): boolean {
  if (sup === '*') return true;
  if (sup.startsWith('*.')) {
    const suffix = sup.slice(1);
    return sub.startsWith('*.') ? sub.slice(1).endsWith(suffix) : sub.endsWith(suffix);
  }
  return !sub.startsWith('*') && sub === sup;
}

function validateL4Match(m: Obj, p: string, issues: Issues): void {
  arr(m['destinationSubnets']).forEach((c, k) => {
    checkCidr(issues, at(at(p, 'destinationSubnets'), k), c);
  });
  checkPort(issues, at(p, 'port'), m['port']);
  checkLabels(issues, at(p, 'sourceLabels'), m['sourceLabels']);
  checkSourceMatch(m, p, issues);
}

/** "mesh", "namespace/name", or Istio's legacy "name" / FQDN forms. */
function checkGateways(issues: Issues, path: string, v: unknown): void {
  arr(v).forEach((g, i) => {
    if (typeof g !== 'string' || g === 'mesh') return;
    const slash = g.indexOf('/');
    const ok =
      slash < 0
        ? hostProblem(g, { wildcard: 'none' }) === undefined
        : isDns1123Label(g.slice(0, slash)) && isDns1123Label(g.slice(slash + 1));
    if (!ok)
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        at(path, i),
        `gateway ${JSON.stringify(g)} is not "mesh" or namespace/name`,
      );
  });
}

const CORS_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

function validateRouteDestinations(v: unknown, p: string, issues: Issues): void {
  const list = arr(v);
  if (list.length === 0) {
    issues.error('CFG_ERR_MISSING_FIELD', p, 'at least one destination is required');
    return;
  }
  list.forEach((d, i) => {
    if (isObj(d)) checkDestination(issues, at(at(p, i), 'destination'), d['destination']);
  });
  checkWeights(issues, p, list);
}

function validateHttpRoute(r: Obj, p: string, issues: Issues, inDelegate: boolean): void {
  const has = (k: string) => r[k] !== undefined && r[k] !== null;
  if (has('delegate')) validateDelegateRef(r, p, issues, inDelegate);
  const actions = ['route', 'redirect', 'directResponse', 'delegate'].filter(has);
  if (actions.length === 0)
    issues.error(
      'CFG_ERR_MISSING_FIELD',
      p,
      'an HTTP route needs one of route, redirect, directResponse, delegate',
    );
  else if (actions.length > 1)
    issues.error(
      'CFG_ERR_ONEOF',
      p,
      `only one of route, redirect, directResponse, delegate may be set, found ${actions.join(', ')}`,
    );
  if (has('redirect') && has('rewrite'))
    issues.error('CFG_ERR_ONEOF', p, 'rewrite cannot be combined with redirect');
  if (has('redirect') && has('fault'))
    issues.error('CFG_ERR_ONEOF', p, 'fault cannot be combined with redirect');
  if (has('mirror') && has('mirrors'))
    issues.error('CFG_ERR_ONEOF', p, 'mirror and mirrors cannot both be set');
  validateAuthorityRewrite(r, p, issues);

  arr(r['match']).forEach((m, i) => {
    if (isObj(m)) validateHttpMatch(m, at(at(p, 'match'), i), issues);
  });
  if (has('route')) {
    const route = arr(r['route']);
    if (route.length === 0)
      issues.error('CFG_ERR_MISSING_FIELD', at(p, 'route'), 'at least one destination is required');
    route.forEach((d, i) => {
      if (!isObj(d)) return;
      checkDestination(issues, at(at(at(p, 'route'), i), 'destination'), d['destination']);
      validateHeaders(d['headers'], at(at(at(p, 'route'), i), 'headers'), issues);
    });
    checkWeights(issues, at(p, 'route'), route);
  }
  validateRedirect(r['redirect'], at(p, 'redirect'), issues);
  if (isObj(r['directResponse'])) {
    const dr = r['directResponse'];
    checkRange(issues, at(at(p, 'directResponse'), 'status'), dr['status'], 200, 599);
    const body = isObj(dr['body']) ? dr['body'] : {};
    const size =
      typeof body['string'] === 'string'
        ? Buffer.byteLength(body['string'])
        : typeof body['bytes'] === 'string'
          ? Math.floor((body['bytes'].length * 3) / 4)
          : 0;
    // Istio: bodies travel in every RDS push, so big ones are refused and medium ones warned about.
    if (size > 1024 * 1024)
      issues.error(
        'CFG_ERR_OUT_OF_RANGE',
        at(at(p, 'directResponse'), 'body'),
        `body is ${size} bytes, limit 1048576`,
      );
    else if (size > 100 * 1024)
      issues.warn(
        'CFG_WARN_SUSPICIOUS',
        at(at(p, 'directResponse'), 'body'),
        `body is ${size} bytes; large bodies slow every route push`,
      );
    if (isObj(dr['body']) && dr['body']['string'] !== undefined && dr['body']['bytes'] !== undefined)
      issues.error(
        'CFG_ERR_ONEOF',
        at(at(p, 'directResponse'), 'body'),
        'only one of string, bytes may be set',
      );
  }
  if (isObj(r['rewrite'])) {
    const rw = r['rewrite'];
    const rp = at(p, 'rewrite');
    if (rw['uri'] !== undefined && rw['uriRegexRewrite'] !== undefined)
      issues.error('CFG_ERR_ONEOF', rp, 'only one of uri, uriRegexRewrite may be set');
    if (rw['uri'] === undefined && rw['authority'] === undefined && rw['uriRegexRewrite'] === undefined)
      issues.error('CFG_ERR_MISSING_FIELD', rp, 'rewrite needs uri, authority or uriRegexRewrite');
    if (isObj(rw['uriRegexRewrite'])) {
      const rr = rw['uriRegexRewrite'];
      for (const k of ['match', 'rewrite'])
        if (typeof rr[k] !== 'string' || rr[k] === '')
          issues.error('CFG_ERR_MISSING_FIELD', at(at(rp, 'uriRegexRewrite'), k), `"${k}" is required`);
      checkRegex(issues, at(at(rp, 'uriRegexRewrite'), 'match'), rr['match']);
    }
  }
  // Istio accepts "0s" as "no timeout"; anything else must be at least 1ms.
  checkDuration(issues, at(p, 'timeout'), r['timeout'], { allowZero: true });
  validateRetries(r['retries'], at(p, 'retries'), issues);
  validateFault(r['fault'], at(p, 'fault'), issues);
  checkDestination(issues, at(p, 'mirror'), r['mirror']);
  checkRange(issues, at(p, 'mirrorPercent'), r['mirrorPercent'], 0, 100);
  checkPercent(issues, at(p, 'mirrorPercentage'), r['mirrorPercentage']);
  arr(r['mirrors']).forEach((m, i) => {
    if (!isObj(m)) return;
    const mp = at(at(p, 'mirrors'), i);
    checkDestination(issues, at(mp, 'destination'), m['destination']);
    checkPercent(issues, at(mp, 'percentage'), m['percentage']);
  });
  validateCors(r['corsPolicy'], at(p, 'corsPolicy'), issues);
  validateHeaders(r['headers'], at(p, 'headers'), issues);
}

/**
 * A root route's `delegate`: Istio's rules. Only a VirtualService with hosts may delegate (one level,
 * so no chains or cycles), the delegate is named, and the root's matches cannot use regexes: merging
 * decides whether a delegate's match narrows the root's by comparing exact and prefix values only.
 */
function validateDelegateRef(r: Obj, p: string, issues: Issues, inDelegate: boolean): void {
  const dp = at(p, 'delegate');
  if (inDelegate)
    issues.error(
      'CFG_ERR_INVALID_VALUE',
      dp,
      'a delegate VirtualService (no hosts) cannot delegate further; only a root VirtualService can',
    );
  const d = r['delegate'];
  if (!isObj(d)) return;
  if (typeof d['name'] !== 'string' || d['name'] === '')
    issues.error('CFG_ERR_MISSING_FIELD', at(dp, 'name'), 'the delegate VirtualService name is required');
  else if (!isDns1123Subdomain(d['name']))
    issues.error(
      'CFG_ERR_INVALID_NAME',
      at(dp, 'name'),
      `${JSON.stringify(d['name'])} is not a valid VirtualService name (DNS-1123 subdomain)`,
    );
  const ns = d['namespace'];
  if (ns !== undefined && (typeof ns !== 'string' || !isDns1123Label(ns)))
    issues.error(
      'CFG_ERR_INVALID_NAME',
      at(dp, 'namespace'),
      `${JSON.stringify(ns)} is not a DNS-1123 label`,
    );
  arr(r['match']).forEach((m, i) => {
    if (!isObj(m)) return;
    const mp = at(at(p, 'match'), i);
    const regexAt: string[] = [];
    for (const k of ['uri', 'scheme', 'method', 'authority'])
      if (isObj(m[k]) && m[k]['regex'] !== undefined) regexAt.push(at(mp, k));
    for (const k of ['headers', 'withoutHeaders', 'queryParams'])
      for (const [name, v] of entries(m[k]))
        if (isObj(v) && v['regex'] !== undefined) regexAt.push(at(at(mp, k), name));
    for (const where of regexAt)
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        where,
        'a route that delegates cannot match with a regex (Istio: delegate matches are merged by exact and prefix only)',
      );
  });
}

/** Conditions HTTP, TLS and TCP matches share. */
function checkSourceMatch(m: Obj, p: string, issues: Issues): void {
  const ns = str(m['sourceNamespace']);
  if (ns !== undefined && !isDns1123Label(ns))
    issues.error(
      'CFG_ERR_INVALID_NAME',
      at(p, 'sourceNamespace'),
      `sourceNamespace ${JSON.stringify(ns)} is not a DNS-1123 label`,
    );
  checkGateways(issues, at(p, 'gateways'), m['gateways']);
}

function validateHttpMatch(m: Obj, p: string, issues: Issues): void {
  checkSourceMatch(m, p, issues);
  for (const k of ['uri', 'scheme', 'method', 'authority']) checkStringMatch(issues, at(p, k), m[k]);
  for (const k of ['headers', 'withoutHeaders']) {
    for (const [name, match] of entries(m[k])) {
      const hp = at(at(p, k), name);
      checkHeaderName(issues, hp, name, { allowPseudo: true });
      // `{}` means "header present" in Istio.
      checkStringMatch(issues, hp, match, true);
    }
  }
  for (const [name, match] of entries(m['queryParams'])) {
    const qp = at(at(p, 'queryParams'), name);
    if (name === '') issues.error('CFG_ERR_INVALID_VALUE', qp, 'query parameter name is empty');
    checkStringMatch(issues, qp, match, true);
  }
  checkPort(issues, at(p, 'port'), m['port']);
  checkLabels(issues, at(p, 'sourceLabels'), m['sourceLabels']);
}

function validateRedirect(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  if (
    v['uri'] === undefined &&
    v['authority'] === undefined &&
    v['scheme'] === undefined &&
    v['port'] === undefined &&
    v['derivePort'] === undefined
  )
    issues.error('CFG_ERR_MISSING_FIELD', p, 'redirect needs uri, authority, scheme, port or derivePort');
  if (v['port'] !== undefined && v['derivePort'] !== undefined)
    issues.error('CFG_ERR_ONEOF', p, 'only one of port, derivePort may be set');
  checkPort(issues, at(p, 'port'), v['port']);
  if (typeof v['scheme'] === 'string' && v['scheme'] !== 'http' && v['scheme'] !== 'https')
    issues.error(
      'CFG_ERR_INVALID_VALUE',
      at(p, 'scheme'),
      `redirect scheme ${JSON.stringify(v['scheme'])} is not "http" or "https"`,
    );
  const code = v['redirectCode'];
  if (typeof code === 'number' && !REDIRECT_CODES.includes(code))
    issues.error(
      'CFG_ERR_OUT_OF_RANGE',
      at(p, 'redirectCode'),
      `redirectCode ${code} is not one of ${REDIRECT_CODES.join(', ')}`,
    );
}

function validateRetries(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  checkRange(issues, at(p, 'attempts'), v['attempts'], 0, INT32_MAX);
  // attempts 0 disables retries; Istio refuses a policy that would then silently do nothing.
  const extra = ['perTryTimeout', 'retryOn', 'retryRemoteLocalities'].filter((k) => v[k] !== undefined);
  if (v['attempts'] === 0 && extra.length > 0)
    issues.error(
      'CFG_ERR_INVALID_VALUE',
      at(p, 'attempts'),
      `attempts is 0 (retries disabled) but ${extra.join(', ')} is set`,
    );
  checkDuration(issues, at(p, 'perTryTimeout'), v['perTryTimeout']);
  checkDuration(issues, at(p, 'backoff'), v['backoff']);
  const retryOn = str(v['retryOn']);
  if (retryOn !== undefined) {
    for (const raw of retryOn.split(',')) {
      const policy = raw.trim();
      if (RETRY_ON.has(policy)) continue;
      if (/^\d{3}$/.test(policy) && Number(policy) >= 100 && Number(policy) <= 599) continue;
      issues.error(
        'CFG_ERR_INVALID_RETRY_ON',
        at(p, 'retryOn'),
        `retryOn policy ${JSON.stringify(policy)} is not an HTTP status code (100..599) or one of ${[...RETRY_ON].join(', ')}`,
      );
    }
  }
}

function validateFault(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  if (v['delay'] === undefined && v['abort'] === undefined)
    issues.error('CFG_ERR_MISSING_FIELD', p, 'fault needs delay or abort');
  if (isObj(v['delay'])) {
    const d = v['delay'];
    const dp = at(p, 'delay');
    // Istio accepts a delay or abort without its value; it injects nothing, which is surely not meant.
    if (d['fixedDelay'] === undefined)
      issues.warn('CFG_WARN_SUSPICIOUS', dp, 'delay has no fixedDelay: nothing is injected');
    checkDuration(issues, at(dp, 'fixedDelay'), d['fixedDelay']);
    checkPercent(issues, at(dp, 'percentage'), d['percentage']);
    checkRange(issues, at(dp, 'percent'), d['percent'], 0, 100);
  }
  if (isObj(v['abort'])) {
    const a = v['abort'];
    const ap = at(p, 'abort');
    const kinds = ['httpStatus', 'grpcStatus', 'http2Error'].filter(
      (k) => a[k] !== undefined && a[k] !== null,
    );
    if (kinds.length === 0)
      issues.warn('CFG_WARN_SUSPICIOUS', ap, 'abort has no httpStatus or grpcStatus: nothing is injected');
    if (kinds.length > 1)
      issues.error(
        'CFG_ERR_ONEOF',
        ap,
        `only one of httpStatus, grpcStatus may be set, found ${kinds.join(', ')}`,
      );
    checkRange(issues, at(ap, 'httpStatus'), a['httpStatus'], 200, 599);
    const grpc = str(a['grpcStatus']);
    if (grpc !== undefined && !GRPC_STATUS.has(grpc))
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        at(ap, 'grpcStatus'),
        `grpcStatus ${JSON.stringify(grpc)} is not a gRPC status name (e.g. UNAVAILABLE)`,
      );
    checkPercent(issues, at(ap, 'percentage'), a['percentage']);
  }
}

function validateCors(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  arr(v['allowOrigins']).forEach((m, i) => {
    const op = at(at(p, 'allowOrigins'), i);
    checkStringMatch(issues, op, m);
    if (isObj(m) && [m['exact'], m['prefix'], m['regex']].includes(''))
      issues.error('CFG_ERR_INVALID_VALUE', op, 'an allowOrigins match cannot be empty');
  });
  arr(v['allowMethods']).forEach((m, i) => {
    if (typeof m === 'string' && !CORS_METHODS.has(m))
      issues.error(
        'CFG_ERR_INVALID_ENUM',
        at(at(p, 'allowMethods'), i),
        `${JSON.stringify(m)} is not one of ${[...CORS_METHODS].join(', ')}`,
      );
  });
  // Envoy's max_age is whole seconds.
  checkDuration(issues, at(p, 'maxAge'), v['maxAge'], { minMs: 1000, allowZero: true, wholeSeconds: true });
  for (const k of ['allowHeaders', 'exposeHeaders'])
    arr(v[k]).forEach((h, i) => {
      if (typeof h === 'string' && h !== '*' && !/^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/.test(h))
        issues.error(
          'CFG_ERR_INVALID_HEADER_NAME',
          at(at(p, k), i),
          `invalid header name ${JSON.stringify(h)}`,
        );
    });
}

function validateHeaders(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  checkHeaderOperations(issues, at(p, 'request'), v['request'], true);
  checkHeaderOperations(issues, at(p, 'response'), v['response'], false);
}

/** Istio: the authority may be rewritten in one place only (rewrite.authority or one request header). */
function validateAuthorityRewrite(r: Obj, p: string, issues: Issues): void {
  const places: string[] = [];
  if (isObj(r['rewrite']) && typeof r['rewrite']['authority'] === 'string')
    places.push(at(at(p, 'rewrite'), 'authority'));
  const request = isObj(r['headers']) ? r['headers']['request'] : undefined;
  for (const op of ['set', 'add'])
    for (const [name] of entries(isObj(request) ? request[op] : undefined))
      if (isAuthorityHeader(name)) places.push(at(at(at(at(p, 'headers'), 'request'), op), name));
  if (places.length > 1)
    issues.error(
      'CFG_ERR_ONEOF',
      places[1] ?? p,
      `the authority is already rewritten by ${places[0]}; set it in one place only`,
    );
}
