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

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY']);

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
    const port = isObj(l['port']) ? l['port'] : {};
    if (port['number'] !== undefined) {
      const first = ingressPorts.get(port['number']);
      if (first !== undefined)
        issues.error(
          'CFG_ERR_DUPLICATE',
          at(at(p, 'port'), 'number'),
          `ingress port ${String(port['number'])} is already used by spec.ingress[${first}]`,
        );
      else ingressPorts.set(port['number'], i);
    }
    const ep = str(l['defaultEndpoint']);
    if (ep !== undefined && !validDefaultEndpoint(ep))
      issues.error(
        'CFG_ERR_INVALID_ADDRESS',
        at(p, 'defaultEndpoint'),
        `defaultEndpoint ${JSON.stringify(ep)} is not 127.0.0.1:PORT, 0.0.0.0:PORT, [::1]:PORT, [::]:PORT, :PORT or unix:///path`,
      );
    validateConnectionPool(l['connectionPool'], at(p, 'connectionPool'), issues);
    const proto = typeof port['protocol'] === 'string' ? port['protocol'].toUpperCase() : undefined;
    if (
      isObj(l['connectionPool']) &&
      l['connectionPool']['http'] !== undefined &&
      proto !== undefined &&
      !HTTP_PROTOCOLS.has(proto)
    )
      issues.warn(
        'CFG_WARN_SUSPICIOUS',
        at(at(p, 'connectionPool'), 'http'),
        `port protocol is ${proto}, not HTTP: only the tcp settings apply`,
      );
  });

  const egressPorts = new Map<unknown, number>();
  const sockets = new Map<string, number>();
  egress.forEach((l, i) => {
    if (!isObj(l)) return;
    const p = at('spec.egress', i);
    if (l['port'] === undefined && i !== egress.length - 1)
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        p,
        'the egress listener without a port catches all traffic and must be the last one',
      );
    const bind = str(l['bind']);
    if (isObj(l['port'])) {
      const port = l['port'];
      if (port['number'] === 0) {
        // Port 0 is Istio's marker for a listener on a unix domain socket.
        if (bind === undefined || !bind.startsWith('unix://'))
          issues.error(
            'CFG_ERR_INVALID_ADDRESS',
            at(p, 'bind'),
            'a listener with port 0 needs a unix:// bind address',
          );
        else {
          const first = sockets.get(bind);
          if (first !== undefined)
            issues.error(
              'CFG_ERR_DUPLICATE',
              at(p, 'bind'),
              `socket ${JSON.stringify(bind)} is already used by spec.egress[${first}]`,
            );
          else sockets.set(bind, i);
        }
        if (l['captureMode'] === 'IPTABLES')
          issues.error(
            'CFG_ERR_INVALID_ENUM',
            at(p, 'captureMode'),
            'captureMode must be DEFAULT or NONE for unix socket listeners',
          );
        checkProtocol(issues, at(at(p, 'port'), 'protocol'), port['protocol']);
        checkPortName(issues, at(at(p, 'port'), 'name'), port['name']);
      } else {
        validatePort(port, at(p, 'port'), issues);
        // Istio keys IP listeners by port alone: two binds on one port would still clash on capture.
        const first = egressPorts.get(port['number']);
        if (first !== undefined)
          issues.error(
            'CFG_ERR_DUPLICATE',
            at(at(p, 'port'), 'number'),
            `egress port ${String(port['number'])} is already used by spec.egress[${first}]`,
          );
        else if (port['number'] !== undefined) egressPorts.set(port['number'], i);
      }
    }
    if (!(isObj(l['port']) && l['port']['number'] === 0)) checkBind(issues, at(p, 'bind'), l['bind']);
    const hosts = arr(l['hosts']);
    if (Array.isArray(l['hosts']) && hosts.length === 0)
      issues.error('CFG_ERR_MISSING_FIELD', at(p, 'hosts'), 'an egress listener needs at least one host');
    hosts.forEach((h, j) => {
      if (typeof h === 'string') checkEgressHost(issues, at(at(p, 'hosts'), j), h);
    });
    if (hosts.includes('*/*') && hosts.length > 1)
      issues.warn(
        'CFG_WARN_SUSPICIOUS',
        at(p, 'hosts'),
        '"*/*" selects every host: the other entries add nothing',
      );
  });
  validateConnectionPool(spec['inboundConnectionPool'], 'spec.inboundConnectionPool', issues);
}

function validatePort(v: unknown, p: string, issues: Issues): void {
  if (!isObj(v)) return;
  checkPort(issues, at(p, 'number'), v['number']);
  checkProtocol(issues, at(p, 'protocol'), v['protocol']);
  checkPortName(issues, at(p, 'name'), v['name']);
  // Istio rejects it: a Sidecar listener has no separate target port.
  if (v['targetPort'] !== undefined)
    issues.error(
      'CFG_ERR_INVALID_VALUE',
      at(p, 'targetPort'),
      'targetPort has no effect on Sidecar listeners',
    );
}

function checkPortName(issues: Issues, path: string, v: unknown): void {
  if (typeof v === 'string' && !isDns1123Label(v))
    issues.error('CFG_ERR_INVALID_VALUE', path, `port name ${JSON.stringify(v)} is not a DNS-1123 label`);
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
  const m = /^(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\[::\])?:(\d+)$/.exec(ep);
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
