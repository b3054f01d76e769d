// RpcRoute (mesh.strait.io/v1alpha1): schema and rules. Limits come from what Envoy's dubbo_proxy
// RouteConfiguration can carry, so an accepted RpcRoute always translates.
import { checkSubsetName, stringMatch } from './common.js';
import { arr, at, type Issues, isObj, num, type Obj, str } from './issues.js';
import { req, type Schema, s } from './schema.js';
import {
  checkDuration,
  checkExportTo,
  checkHeaderName,
  checkHost,
  checkPort,
  checkRange,
  checkRegex,
  checkStringMatch,
  checkWeights,
  INT32_MAX,
} from './values.js';

export const rpcRouteSpec: Schema = s.obj({
  protocol: s.enm('dubbo'),
  service: req(s.obj({ interface: req(s.str()), group: s.str(), version: s.str() })),
  routes: req(
    s.arr(
      s.obj({
        name: s.str(),
        match: s.arr(
          s.obj({
            name: s.str(),
            sourceApps: s.arr(s.str()),
            method: s.obj({
              name: stringMatch(),
              args: s.arr(
                s.obj({
                  index: req(s.int()),
                  type: s.str(),
                  exact: s.str(),
                  prefix: s.str(),
                  regex: s.str(),
                  range: s.obj({ start: req(s.int()), end: req(s.int()) }),
                }),
              ),
            }),
            attachments: s.arr(
              s.obj({
                name: req(s.str()),
                exact: s.str(),
                prefix: s.str(),
                regex: s.str(),
                present: s.bool(),
              }),
            ),
          }),
        ),
        route: req(
          s.arr(
            s.obj({
              destination: req(
                s.obj({ host: req(s.str()), subset: s.str(), port: s.obj({ number: req(s.int()) }) }),
              ),
              weight: s.int(),
            }),
          ),
        ),
        timeout: s.str(),
        retries: s.obj({ attempts: req(s.int()), perTryTimeout: s.str() }),
      }),
    ),
  ),
  exportTo: s.arr(s.str()),
});

// Java identifiers joined by dots; `$` appears in nested class names.
const JAVA_FQN = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;
const JAVA_TYPE = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*(\[\])*$/;
// Dubbo application names: what `dubbo.application.name` accepts in practice.
const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Types whose Hessian2 value compares as an integer, the only values Envoy's Int64Range can match. */
const INTEGER_TYPES = new Set([
  'byte',
  'short',
  'int',
  'long',
  'char',
  'java.lang.Byte',
  'java.lang.Short',
  'java.lang.Integer',
  'java.lang.Long',
  'java.math.BigInteger',
]);
/** A JVM method takes at most 255 parameter slots, so indexes above 254 can never match. */
const MAX_ARG_INDEX = 254;

export function validateRpcRoute(spec: Obj, issues: Issues): void {
  if (isObj(spec['service'])) {
    const svc = spec['service'];
    const iface = str(svc['interface']);
    if (iface !== undefined && !JAVA_FQN.test(iface))
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        'spec.service.interface',
        `interface ${JSON.stringify(iface)} is not a Java class name`,
      );
    for (const k of ['group', 'version']) {
      const v = str(svc[k]);
      // Dubbo URLs carry group and version as parameters: separators would split them.
      if (v !== undefined && /[\s,&=:/]/.test(v))
        issues.error(
          'CFG_ERR_INVALID_VALUE',
          at('spec.service', k),
          `${k} ${JSON.stringify(v)} contains whitespace or one of , & = : /`,
        );
    }
  }
  const routes = arr(spec['routes']);
  if (Array.isArray(spec['routes']) && routes.length === 0)
    issues.error('CFG_ERR_MISSING_FIELD', 'spec.routes', 'an RpcRoute needs at least one route');
  const names = new Map<string, number>();
  routes.forEach((r, i) => {
    if (!isObj(r)) return;
    const p = at('spec.routes', i);
    const name = str(r['name']);
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined)
        issues.error(
          'CFG_ERR_DUPLICATE',
          at(p, 'name'),
          `route name ${JSON.stringify(name)} is already used by spec.routes[${first}]`,
        );
      else names.set(name, i);
    }
    validateRule(r, p, issues);
    const catchAll = !Array.isArray(r['match']) || r['match'].length === 0;
    if (catchAll && i < routes.length - 1)
      issues.warn(
        'CFG_WARN_SUSPICIOUS',
        p,
        `route matches every call, so spec.routes[${i + 1}..${routes.length - 1}] are never reached`,
      );
  });
  checkExportTo(issues, 'spec.exportTo', spec['exportTo']);
}

function validateRule(r: Obj, p: string, issues: Issues): void {
  arr(r['match']).forEach((m, i) => {
    if (isObj(m)) validateMatch(m, at(at(p, 'match'), i), issues);
  });
  const route = arr(r['route']);
  if (Array.isArray(r['route']) && route.length === 0)
    issues.error('CFG_ERR_MISSING_FIELD', at(p, 'route'), 'at least one destination is required');
  route.forEach((d, i) => {
    if (!isObj(d) || !isObj(d['destination'])) return;
    const dp = at(at(at(p, 'route'), i), 'destination');
    const dest = d['destination'];
    checkHost(issues, at(dp, 'host'), dest['host'], { wildcard: 'none', allowIp: true });
    checkSubsetName(issues, at(dp, 'subset'), dest['subset']);
    if (isObj(dest['port'])) checkPort(issues, at(at(dp, 'port'), 'number'), dest['port']['number']);
  });
  checkWeights(issues, at(p, 'route'), route);
  checkDuration(issues, at(p, 'timeout'), r['timeout']);
  if (isObj(r['retries'])) {
    checkRange(issues, at(at(p, 'retries'), 'attempts'), r['retries']['attempts'], 0, INT32_MAX);
    checkDuration(issues, at(at(p, 'retries'), 'perTryTimeout'), r['retries']['perTryTimeout']);
  }
}

function validateMatch(m: Obj, p: string, issues: Issues): void {
  const apps = m['sourceApps'];
  if (Array.isArray(apps) && apps.length === 0)
    issues.error(
      'CFG_ERR_MISSING_FIELD',
      at(p, 'sourceApps'),
      'sourceApps is empty: omit it to match every caller',
    );
  arr(apps).forEach((a, i) => {
    if (typeof a === 'string' && !APP_NAME.test(a))
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        at(at(p, 'sourceApps'), i),
        `application name ${JSON.stringify(a)} has characters other than letters, digits, . _ -`,
      );
  });
  if (isObj(m['method'])) {
    const mp = at(p, 'method');
    checkStringMatch(issues, at(mp, 'name'), m['method']['name']);
    const args = arr(m['method']['args']);
    const seen = new Map<number, number>();
    args.forEach((a, i) => {
      if (!isObj(a)) return;
      const ap = at(at(mp, 'args'), i);
      const index = num(a['index']);
      if (index !== undefined) {
        checkRange(issues, at(ap, 'index'), index, 0, MAX_ARG_INDEX);
        // Envoy's params_match is a map keyed by index: two conditions on one argument cannot coexist.
        const first = seen.get(index);
        if (first !== undefined)
          issues.error(
            'CFG_ERR_DUPLICATE',
            at(ap, 'index'),
            `argument index ${index} is already matched by ${at(at(mp, 'args'), first)}`,
          );
        else seen.set(index, i);
      }
      validateArg(a, ap, issues);
    });
  }
  const attachments = arr(m['attachments']);
  attachments.forEach((a, i) => {
    if (!isObj(a)) return;
    const ap = at(at(p, 'attachments'), i);
    if (typeof a['name'] === 'string') checkHeaderName(issues, at(ap, 'name'), a['name'].toLowerCase());
    const set = ['exact', 'prefix', 'regex', 'present'].filter((k) => a[k] !== undefined && a[k] !== null);
    if (set.length !== 1)
      issues.error(
        'CFG_ERR_ONEOF',
        ap,
        set.length === 0
          ? 'one of exact, prefix, regex, present is required'
          : `only one of exact, prefix, regex, present may be set, found ${set.join(', ')}`,
      );
    checkRegex(issues, at(ap, 'regex'), a['regex']);
  });
}

function validateArg(a: Obj, p: string, issues: Issues): void {
  const set = ['exact', 'prefix', 'regex', 'range'].filter((k) => a[k] !== undefined && a[k] !== null);
  if (set.length !== 1)
    issues.error(
      'CFG_ERR_ONEOF',
      p,
      set.length === 0
        ? 'one of exact, prefix, regex, range is required'
        : `only one of exact, prefix, regex, range may be set, found ${set.join(', ')}`,
    );
  const type = str(a['type']);
  if (type !== undefined && !JAVA_TYPE.test(type))
    issues.error(
      'CFG_ERR_INVALID_VALUE',
      at(p, 'type'),
      `type ${JSON.stringify(type)} is not a Java type name`,
    );
  checkRegex(issues, at(p, 'regex'), a['regex']);
  for (const k of ['prefix', 'regex'])
    if (a[k] !== undefined)
      issues.warn(
        'CFG_WARN_NOT_TRANSLATABLE',
        at(p, k),
        `Envoy's dubbo_proxy params_match has only exact and range: argument ${k} matches work on Strait proxies only`,
      );
  if (isObj(a['range'])) {
    const rp = at(p, 'range');
    const start = num(a['range']['start']);
    const end = num(a['range']['end']);
    for (const [k, v] of [
      ['start', start],
      ['end', end],
    ] as const)
      if (v !== undefined && !Number.isSafeInteger(v))
        issues.error(
          'CFG_ERR_OUT_OF_RANGE',
          at(rp, k),
          `${k} ${v} is outside the safe integer range ±${Number.MAX_SAFE_INTEGER}`,
        );
    if (start !== undefined && end !== undefined && start >= end)
      issues.error('CFG_ERR_OUT_OF_RANGE', rp, `range [${start}, ${end}) is empty: start must be below end`);
    if (type !== undefined && !INTEGER_TYPES.has(type))
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        at(p, 'type'),
        `a range needs an integer argument type, got ${JSON.stringify(type)}`,
      );
  }
}
