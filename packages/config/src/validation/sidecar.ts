// Sidecar: schema and Istio's semantic rules (pkg/config/validation: ValidateSidecar).
import { isIP } from 'node:net';
import { checkProtocol, port, workloadSelector } from './common.js';
import { connectionPool, validateConnectionPool } from './destination-rule.js';
import { arr, at, type Issues, isObj, type Obj, str } from './issues.js';
import { req, type Schema, s, unsupported } from './schema.js';
import { checkPort, checkWorkloadSelector, hostProblem, isDns1123Label } from './values.js';

const captureMode = () => s.enm('DEFAULT', 'IPTABLES', 'NONE');

export const sidecarSpec: Schema = s.obj({
  workloadSelector: workloadSelector(),
  ingress: s.arr(
    s.obj({
      port: req(port()),
      bind: s.str(),
      captureMode: captureMode(),
      defaultEndpoint: s.str(),
      tls: unsupported(s.open({}), 'inbound TLS termination by Sidecar is not implemented'),
      connectionPool: connectionPool(),
    }),
  ),
  egress: s.arr(
    s.obj({ port: port(), bind: s.str(), captureMode: captureMode(), hosts: req(s.arr(s.str())) }),
  ),
  inboundConnectionPool: connectionPool(),
  outboundTrafficPolicy: s.obj({
    mode: s.enm('REGISTRY_ONLY', 'ALLOW_ANY'),
    egressProxy: unsupported(
      s.obj({ host: s.str(), subset: s.str(), port: s.obj({ number: s.int() }) }),
      'forwarding unknown egress to a proxy is not implemented',
    ),
  }),
});

export function validateSidecar(spec: Obj, issues: Issues): void {
  const ingress = arr(spec['ingress']);
  const egress = arr(spec['egress']);
  if (
    ingress.length === 0 &&
    egress.length === 0 &&
    spec['outboundTrafficPolicy'] === undefined &&
    spec['inboundConnectionPool'] === undefined
  )
    issues.error(
      'CFG_ERR_MISSING_FIELD',
      'spec',
      'a Sidecar needs ingress, egress, outboundTrafficPolicy or inboundConnectionPool',
    );
  checkWorkloadSelector(issues, 'spec.workloadSelector', spec['workloadSelector']);

  const ingressPorts = new Map<unknown, number>();
  ingress.forEach((l, i) => {
    if (!isObj(l)) return;
    const p = at('spec.ingress', i);
    validatePort(l['port'], at(p, 'port'), issues);
    checkBind(issues, at(p, 'bind'), l['bind']);
    const n = isObj(l['port']) ? l['port']['number'] : undefined;
    if (n !== undefined) {
      const first = ingressPorts.get(n);
      if (first !== undefined)
        issues.error(
          'CFG_ERR_DUPLICATE',
          at(at(p, 'port'), 'number'),
          `ingress port ${String(n)} is already used by spec.ingress[${first}]`,
        );
      else ingressPorts.set(n, i);
    }
    const ep = str(l['defaultEndpoint']);
    if (ep !== undefined && !validDefaultEndpoint(ep))
      issues.error(
        'CFG_ERR_INVALID_ADDRESS',
        at(p, 'defaultEndpoint'),
        `defaultEndpoint ${JSON.stringify(ep)} is not 127.0.0.1:PORT, 0.0.0.0:PORT, [::1]:PORT, [::]:PORT or unix:///path`,
      );
    validateConnectionPool(l['connectionPool'], at(p, 'connectionPool'), issues);
  });

  const egressKeys = new Map<string, number>();
  egress.forEach((l, i) => {
    if (!isObj(l)) return;
    const p = at('spec.egress', i);
    if (l['port'] === undefined && i !== egress.length - 1)
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        p,
        'the egress listener without a port catches all traffic and must be the last one',
      );
    if (l['port'] !== undefined) validatePort(l['port'], at(p, 'port'), issues);
    checkBind(issues, at(p, 'bind'), l['bind']);
    const key = `${String(str(l['bind']) ?? '')}:${String(isObj(l['port']) ? l['port']['number'] : '*')}`;
    const first = egressKeys.get(key);
    if (first !== undefined)
      issues.error(
        'CFG_ERR_DUPLICATE',
        p,
        `egress listener duplicates spec.egress[${first}] (same bind and port)`,
      );
    else egressKeys.set(key, i);
    const hosts = arr(l['hosts']);
    if (Array.isArray(l['hosts']) && hosts.length === 0)
      issues.error('CFG_ERR_MISSING_FIELD', at(p, 'hosts'), 'an egress listener needs at least one host');
    hosts.forEach((h, j) => {
      if (typeof h === 'string') checkEgressHost(issues, at(at(p, 'hosts'), j), h);
    });
  });
  validateConnectionPool(spec['inboundConnectionPool'], 'spec.inboundConnectionPool', issues);
}

function validatePort(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  checkPort(issues, at(p, 'number'), v['number']);
  checkProtocol(issues, at(p, 'protocol'), v['protocol']);
  checkPort(issues, at(p, 'targetPort'), v['targetPort']);
}

function checkBind(issues: Issues, path: string, v: unknown): void {
  const bind = str(v);
  if (bind === undefined || bind.startsWith('unix://') || isIP(bind) !== 0) return;
  issues.error(
    'CFG_ERR_INVALID_ADDRESS',
    path,
    `bind ${JSON.stringify(bind)} is not an IP address or unix:// path`,
  );
}

function validDefaultEndpoint(ep: string): boolean {
  if (ep.startsWith('unix://')) return ep.length > 'unix://'.length;
  const m = /^(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\[::\]):(\d+)$/.exec(ep);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

/** "namespace/dnsName": namespace is "*", ".", "~" or a name; dnsName is "*" or a (wildcard) DNS name. */
function checkEgressHost(issues: Issues, path: string, h: string): void {
  const slash = h.indexOf('/');
  if (slash <= 0) {
    issues.error(
      'CFG_ERR_INVALID_HOST',
      path,
      `egress host ${JSON.stringify(h)} must be namespace/dnsName (e.g. "./*", "istio-system/*")`,
    );
    return;
  }
  const ns = h.slice(0, slash);
  const name = h.slice(slash + 1);
  if (ns !== '*' && ns !== '.' && ns !== '~' && !isDns1123Label(ns))
    issues.error(
      'CFG_ERR_INVALID_HOST',
      path,
      `egress host namespace ${JSON.stringify(ns)} is not "*", ".", "~" or a namespace name`,
    );
  const problem = hostProblem(name, { wildcard: 'prefix' });
  if (problem) issues.error('CFG_ERR_INVALID_HOST', path, `egress host ${JSON.stringify(h)}: ${problem}`);
}
