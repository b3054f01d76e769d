// DestinationRule: schema and Istio's semantic rules (pkg/config/validation: validateTrafficPolicy...).
import { checkSubsetName, portSelector } from './common.js';
import { arr, at, type Issues, isObj, num, type Obj } from './issues.js';
import { validateLocalityLbSetting } from './locality.js';
import { deprecated, req, type Schema, s, stringMap, unsupported } from './schema.js';
import {
  checkDuration,
  checkExportTo,
  checkHost,
  checkLabels,
  checkPort,
  checkRange,
  checkUnique,
  checkWorkloadSelector,
  INT32_MAX,
  parseDuration,
  UINT32_MAX,
} from './values.js';

const loadBalancer = (): Schema =>
  s.obj({
    simple: s.enm('UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'),
    consistentHash: s.obj({
      httpHeaderName: s.str(),
      httpCookie: s.obj({
        name: req(s.str()),
        path: s.str(),
        ttl: s.str(),
        attributes: unsupported(
          s.arr(s.obj({ name: s.str(), value: s.str() })),
          'cookie attributes are not emitted',
        ),
      }),
      useSourceIp: s.bool(),
      httpQueryParameterName: s.str(),
      ringHash: s.obj({ minimumRingSize: s.int() }),
      maglev: s.obj({ tableSize: s.int() }),
      minimumRingSize: deprecated(s.int(), 'use ringHash.minimumRingSize'),
    }),
    localityLbSetting: s.obj({
      distribute: s.arr(s.obj({ from: s.str(), to: s.map(s.int()) })),
      failover: s.arr(s.obj({ from: s.str(), to: s.str() })),
      failoverPriority: s.arr(s.str()),
      enabled: s.bool(),
    }),
    warmupDurationSecs: unsupported(s.str(), 'slow-start warm-up is not implemented'),
    warmup: unsupported(s.open({}), 'slow-start warm-up is not implemented'),
  });

export const connectionPool = (): Schema =>
  s.obj({
    tcp: s.obj({
      maxConnections: s.int(),
      connectTimeout: s.str(),
      tcpKeepalive: s.obj({ probes: s.int(), time: s.str(), interval: s.str() }),
      maxConnectionDuration: s.str(),
      idleTimeout: s.str(),
    }),
    http: s.obj({
      http1MaxPendingRequests: s.int(),
      http2MaxRequests: s.int(),
      maxRequestsPerConnection: s.int(),
      maxRetries: s.int(),
      idleTimeout: s.str(),
      h2UpgradePolicy: s.enm('DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'),
      useClientProtocol: s.bool(),
      maxConcurrentStreams: s.int(),
    }),
  });

const outlierDetection = (): Schema =>
  s.obj({
    splitExternalLocalOriginErrors: s.bool(),
    consecutiveLocalOriginFailures: s.int(),
    consecutiveGatewayErrors: s.int(),
    consecutive5xxErrors: s.int(),
    interval: s.str(),
    baseEjectionTime: s.str(),
    maxEjectionPercent: s.int(),
    minHealthPercent: s.int(),
    consecutiveErrors: deprecated(s.int(), 'use consecutive5xxErrors'),
  });

export const clientTls = (): Schema =>
  s.obj({
    mode: s.enm('DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'),
    clientCertificate: s.str(),
    privateKey: s.str(),
    caCertificates: s.str(),
    credentialName: unsupported(s.str(), 'Kubernetes secrets are not read; use the file fields'),
    subjectAltNames: s.arr(s.str()),
    sni: s.str(),
    insecureSkipVerify: s.bool(),
    caCrl: unsupported(s.str(), 'certificate revocation lists are not implemented'),
  });

const portTrafficPolicy = (): Schema =>
  s.obj({
    port: portSelector(),
    loadBalancer: loadBalancer(),
    connectionPool: connectionPool(),
    outlierDetection: outlierDetection(),
    tls: clientTls(),
  });

const trafficPolicy = (): Schema =>
  s.obj({
    loadBalancer: loadBalancer(),
    connectionPool: connectionPool(),
    outlierDetection: outlierDetection(),
    tls: clientTls(),
    portLevelSettings: s.arr(portTrafficPolicy()),
    tunnel: unsupported(
      s.obj({ protocol: s.str(), targetHost: s.str(), targetPort: s.int() }),
      'HTTP CONNECT/POST tunnelling is not implemented',
    ),
    proxyProtocol: unsupported(s.obj({ version: s.str() }), 'PROXY protocol to upstreams is not implemented'),
  });

export const destinationRuleSpec: Schema = s.obj({
  host: req(s.str()),
  trafficPolicy: trafficPolicy(),
  subsets: s.arr(s.obj({ name: req(s.str()), labels: stringMap(), trafficPolicy: trafficPolicy() })),
  exportTo: s.arr(s.str()),
  workloadSelector: s.obj({ matchLabels: stringMap() }),
});

export function validateDestinationRule(spec: Obj, issues: Issues): void {
  checkHost(issues, 'spec.host', spec['host'], { wildcard: 'prefix', allowIp: true });
  validateTrafficPolicy(spec['trafficPolicy'], 'spec.trafficPolicy', issues);
  const ruleOutlier = isObj(spec['trafficPolicy']) && spec['trafficPolicy']['outlierDetection'] !== undefined;
  const subsets = arr(spec['subsets']);
  checkUnique(issues, 'spec.subsets', subsets, 'name', 'subset name');
  subsets.forEach((sub, i) => {
    if (!isObj(sub)) return;
    const p = at('spec.subsets', i);
    checkSubsetName(issues, at(p, 'name'), sub['name']);
    checkLabels(issues, at(p, 'labels'), sub['labels']);
    validateTrafficPolicy(sub['trafficPolicy'], at(p, 'trafficPolicy'), issues, ruleOutlier);
  });
  checkExportTo(issues, 'spec.exportTo', spec['exportTo']);
  checkWorkloadSelector(issues, 'spec.workloadSelector', spec['workloadSelector'], 'matchLabels');
}

const POLICY_PARTS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'];

function validateTrafficPolicy(v: unknown, p: string, issues: Issues, inheritedOutlier = false): void {
  if (!isObj(v)) return;
  // Istio: an empty policy is a mistake, not a way to say "defaults". Unsupported parts (already warned
  // about and stripped) count, since the user did write something.
  if (
    ![...POLICY_PARTS, 'portLevelSettings'].some((k) => v[k] !== undefined) &&
    !issues.warnings.some((w) => w.path.startsWith(`${p}.`))
  )
    issues.error('CFG_ERR_MISSING_FIELD', p, 'trafficPolicy must set at least one field');
  validatePolicyParts(v, p, issues, inheritedOutlier);
  const outlier = inheritedOutlier || v['outlierDetection'] !== undefined;
  const ports = arr(v['portLevelSettings']);
  ports.forEach((pl, i) => {
    if (!isObj(pl)) return;
    const pp = at(at(p, 'portLevelSettings'), i);
    if (!isObj(pl['port'])) issues.error('CFG_ERR_MISSING_FIELD', at(pp, 'port'), '"port" is required');
    else checkPort(issues, at(at(pp, 'port'), 'number'), pl['port']['number']);
    if (
      !POLICY_PARTS.some((k) => pl[k] !== undefined) &&
      !issues.warnings.some((w) => w.path.startsWith(`${pp}.`))
    )
      issues.error(
        'CFG_ERR_MISSING_FIELD',
        pp,
        'a port traffic policy must set at least one field besides port',
      );
    validatePolicyParts(pl, pp, issues, outlier);
  });
  const numbers = ports.map((pl) => (isObj(pl) && isObj(pl['port']) ? { number: pl['port']['number'] } : {}));
  checkUnique(issues, at(p, 'portLevelSettings'), numbers, 'number', 'port');
}

/** `inheritedOutlier`: the policy this one refines (rule-level for port-level and subsets) sets outlierDetection. */
function validatePolicyParts(v: Obj, p: string, issues: Issues, inheritedOutlier: boolean): void {
  validateLoadBalancer(v['loadBalancer'], at(p, 'loadBalancer'), issues);
  if (isObj(v['loadBalancer']))
    validateLocalityLbSetting(
      v['loadBalancer']['localityLbSetting'],
      at(at(p, 'loadBalancer'), 'localityLbSetting'),
      issues,
      inheritedOutlier || v['outlierDetection'] !== undefined,
    );
  validateConnectionPool(v['connectionPool'], at(p, 'connectionPool'), issues);
  validateOutlierDetection(v['outlierDetection'], at(p, 'outlierDetection'), issues);
  validateClientTls(v['tls'], at(p, 'tls'), issues);
}

/** Envoy's own primality check (source/common/common/utility.cc), so we agree with it exactly. */
function isPrime(n: number): boolean {
  if (n !== 0 && n < 4) return true;
  if (n % 2 === 0) return false;
  for (let f = 3; f * f <= n; f += 2) if (n % f === 0) return false;
  return true;
}

function validateLoadBalancer(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  if (v['simple'] !== undefined && v['consistentHash'] !== undefined)
    issues.error('CFG_ERR_ONEOF', p, 'only one of simple, consistentHash may be set');
  if (v['simple'] === 'LEAST_CONN')
    issues.warn('CFG_WARN_DEPRECATED', at(p, 'simple'), 'LEAST_CONN is deprecated: use LEAST_REQUEST');
  if (isObj(v['consistentHash'])) {
    const ch = v['consistentHash'];
    const cp = at(p, 'consistentHash');
    const keys = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'].filter(
      (k) => ch[k] !== undefined && ch[k] !== null,
    );
    if (keys.length === 0)
      issues.error(
        'CFG_ERR_ONEOF',
        cp,
        'one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName is required',
      );
    if (keys.length > 1)
      issues.error('CFG_ERR_ONEOF', cp, `only one hash key may be set, found ${keys.join(', ')}`);
    const algos = ['ringHash', 'maglev', 'minimumRingSize'].filter(
      (k) => ch[k] !== undefined && ch[k] !== null,
    );
    if (algos.length > 1)
      issues.error('CFG_ERR_ONEOF', cp, `only one of ringHash, maglev may be set, found ${algos.join(', ')}`);
    if (isObj(ch['httpCookie']))
      checkDuration(issues, at(at(cp, 'httpCookie'), 'ttl'), ch['httpCookie']['ttl'], { allowZero: true });
    if (isObj(ch['ringHash']))
      checkRange(
        issues,
        at(at(cp, 'ringHash'), 'minimumRingSize'),
        ch['ringHash']['minimumRingSize'],
        0,
        8_388_608,
      );
    if (isObj(ch['maglev'])) {
      const size = num(ch['maglev']['tableSize']);
      // Maglev's lookup table only spreads evenly with a prime size; Envoy rejects others.
      if (size === undefined || size <= 0 || !isPrime(size) || size >= 5_000_011)
        issues.error(
          'CFG_ERR_OUT_OF_RANGE',
          at(at(cp, 'maglev'), 'tableSize'),
          `tableSize ${size ?? '(unset)'} must be a prime number below 5000011 (Envoy's default is 65537)`,
        );
    }
  }
}

export function validateConnectionPool(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  if (v['tcp'] === undefined && v['http'] === undefined)
    issues.error('CFG_ERR_MISSING_FIELD', p, 'connectionPool must set tcp or http');
  if (isObj(v['tcp'])) {
    const t = v['tcp'];
    const tp = at(p, 'tcp');
    checkRange(issues, at(tp, 'maxConnections'), t['maxConnections'], 0, INT32_MAX);
    checkDuration(issues, at(tp, 'connectTimeout'), t['connectTimeout']);
    checkDuration(issues, at(tp, 'maxConnectionDuration'), t['maxConnectionDuration']);
    // 0s disables the idle timeout.
    checkDuration(issues, at(tp, 'idleTimeout'), t['idleTimeout'], { allowZero: true });
    if (isObj(t['tcpKeepalive'])) {
      const k = t['tcpKeepalive'];
      const kp = at(tp, 'tcpKeepalive');
      checkRange(issues, at(kp, 'probes'), k['probes'], 0, UINT32_MAX);
      for (const key of ['time', 'interval']) {
        checkDuration(issues, at(kp, key), k[key]);
        // Istio accepts any duration, but the socket options (and Envoy's fields) are whole seconds.
        const ms = typeof k[key] === 'string' ? parseDuration(k[key]) : undefined;
        if (ms !== undefined && ms >= 1 && ms % 1000 !== 0)
          issues.warn(
            'CFG_WARN_SUSPICIOUS',
            at(kp, key),
            `${JSON.stringify(k[key])} is not whole seconds: keepalive uses ${Math.max(1, Math.floor(ms / 1000))}s`,
          );
      }
    }
  }
  if (isObj(v['http'])) {
    const h = v['http'];
    const hp = at(p, 'http');
    for (const k of [
      'http1MaxPendingRequests',
      'http2MaxRequests',
      'maxRequestsPerConnection',
      'maxRetries',
      'maxConcurrentStreams',
    ])
      checkRange(issues, at(hp, k), h[k], 0, INT32_MAX);
    checkDuration(issues, at(hp, 'idleTimeout'), h['idleTimeout']);
    if (h['useClientProtocol'] === true && h['h2UpgradePolicy'] === 'UPGRADE')
      issues.error('CFG_ERR_ONEOF', hp, 'useClientProtocol cannot be true when h2UpgradePolicy is UPGRADE');
  }
}

function validateOutlierDetection(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  for (const k of [
    'consecutiveLocalOriginFailures',
    'consecutiveGatewayErrors',
    'consecutive5xxErrors',
    'consecutiveErrors',
  ])
    checkRange(issues, at(p, k), v[k], 0, UINT32_MAX);
  checkDuration(issues, at(p, 'interval'), v['interval']);
  checkDuration(issues, at(p, 'baseEjectionTime'), v['baseEjectionTime']);
  for (const k of ['maxEjectionPercent', 'minHealthPercent']) {
    const n = num(v[k]);
    if (n !== undefined && (n < 0 || n > 100))
      issues.error('CFG_ERR_INVALID_PERCENTAGE', at(p, k), `${k} ${n} is outside 0..100`);
  }
  const localFailures = num(v['consecutiveLocalOriginFailures']);
  if (localFailures !== undefined && localFailures > 0 && v['splitExternalLocalOriginErrors'] !== true)
    issues.error(
      'CFG_ERR_INVALID_VALUE',
      at(p, 'consecutiveLocalOriginFailures'),
      'consecutiveLocalOriginFailures needs splitExternalLocalOriginErrors: true',
    );
}

export function validateClientTls(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  if (v['mode'] === 'MUTUAL' && v['credentialName'] === undefined) {
    for (const k of ['clientCertificate', 'privateKey'])
      if (typeof v[k] !== 'string' || v[k] === '')
        issues.error('CFG_ERR_MISSING_FIELD', at(p, k), `"${k}" is required when mode is MUTUAL`);
  }
  if (v['mode'] === 'ISTIO_MUTUAL')
    // Istio's mesh mTLS needs a CA issuing workload certificates over SDS; Strait has neither, so the
    // pilot sends this cluster plaintext. Said here, at validation, so nobody believes it is encrypted.
    issues.warn(
      'CFG_WARN_UNSUPPORTED_VALUE',
      at(p, 'mode'),
      'ISTIO_MUTUAL is unsupported by Strait (no mesh CA or SDS): the cluster stays plaintext; use SIMPLE or MUTUAL with certificate files',
    );
  if (
    (v['mode'] === 'DISABLE' || v['mode'] === 'ISTIO_MUTUAL') &&
    (v['clientCertificate'] || v['privateKey'] || v['caCertificates'])
  )
    issues.error('CFG_ERR_ONEOF', p, `certificate files cannot be set when mode is ${String(v['mode'])}`);
}
