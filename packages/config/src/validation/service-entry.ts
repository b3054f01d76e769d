// ServiceEntry: schema and Istio's semantic rules (pkg/config/validation: ValidateServiceEntry).
import { isIP } from 'node:net';
import { checkProtocol, port, workloadSelector } from './common.js';
import { arr, at, entries, type Issues, isObj, type Obj, str } from './issues.js';
import { checkLocality } from './locality.js';
import { type Schema, s, stringMap } from './schema.js';
import {
  checkCidr,
  checkExportTo,
  checkHost,
  checkLabels,
  checkPort,
  checkRange,
  checkUnique,
  checkWorkloadSelector,
  hostProblem,
  isDns1123Label,
  UINT32_MAX,
} from './values.js';

export const serviceEntrySpec: Schema = s.obj({
  hosts: s.arr(s.str()),
  addresses: s.arr(s.str()),
  ports: s.arr(port()),
  location: s.enm('MESH_EXTERNAL', 'MESH_INTERNAL'),
  resolution: s.enm('NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'),
  endpoints: s.arr(
    s.obj({
      address: s.str(),
      ports: s.map(s.int()),
      labels: stringMap(),
      network: s.str(),
      locality: s.str(),
      weight: s.int(),
      serviceAccount: s.str(),
    }),
  ),
  workloadSelector: workloadSelector(),
  exportTo: s.arr(s.str()),
  subjectAltNames: s.arr(s.str()),
});

/** Port names follow Istio's "protocol[-suffix]" convention but any DNS-1123 label is valid. */
function checkPortName(issues: Issues, path: string, v: unknown): void {
  const name = str(v);
  if (name !== undefined && !isDns1123Label(name))
    issues.error('CFG_ERR_INVALID_VALUE', path, `port name ${JSON.stringify(name)} is not a DNS-1123 label`);
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY']);
const TLS_PROTOCOLS = new Set(['HTTPS', 'TLS']);

export function validateServiceEntry(spec: Obj, issues: Issues): void {
  const resolution = str(spec['resolution']) ?? 'NONE';
  const hosts = arr(spec['hosts']);
  const endpoints = arr(spec['endpoints']);
  const dns = resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN';
  if (hosts.length === 0)
    issues.error('CFG_ERR_MISSING_FIELD', 'spec.hosts', 'a ServiceEntry needs at least one host');
  hosts.forEach((h, i) => {
    const p = at('spec.hosts', i);
    checkHost(issues, p, h, { wildcard: 'prefix', bareWildcard: false, allowIp: true });
    // Without endpoints the hosts themselves are resolved, and a wildcard has no single name to resolve.
    if (typeof h === 'string' && h.startsWith('*.') && dns && endpoints.length === 0)
      issues.error(
        'CFG_ERR_INVALID_HOST',
        p,
        `wildcard host ${JSON.stringify(h)} needs endpoints with resolution ${resolution}`,
      );
  });
  arr(spec['addresses']).forEach((a, i) => {
    const p = at('spec.addresses', i);
    checkCidr(issues, p, a);
    if (typeof a === 'string' && a.includes('/') && resolution !== 'NONE' && resolution !== 'STATIC')
      issues.error(
        'CFG_ERR_INVALID_ADDRESS',
        p,
        `CIDR ${JSON.stringify(a)} is only allowed with resolution NONE or STATIC, not ${resolution}`,
      );
  });

  const ports = arr(spec['ports']);
  ports.forEach((pt, i) => {
    if (!isObj(pt)) return;
    const p = at('spec.ports', i);
    checkPort(issues, at(p, 'number'), pt['number']);
    checkPort(issues, at(p, 'targetPort'), pt['targetPort']);
    checkProtocol(issues, at(p, 'protocol'), pt['protocol']);
    if (pt['name'] === undefined) issues.error('CFG_ERR_MISSING_FIELD', at(p, 'name'), '"name" is required');
    checkPortName(issues, at(p, 'name'), pt['name']);
  });
  checkUnique(issues, 'spec.ports', ports, 'number', 'port number');
  checkUnique(issues, 'spec.ports', ports, 'name', 'port name');
  const portNames = new Set(ports.map((pt) => (isObj(pt) ? pt['name'] : undefined)));
  // Plain TCP carries no host name (no Host header, no SNI), so several hosts on one port are ambiguous.
  if (resolution !== 'NONE' && hosts.length > 1) {
    const opaque = ports.findIndex((pt) => {
      const proto = isObj(pt) && typeof pt['protocol'] === 'string' ? pt['protocol'].toUpperCase() : 'TCP';
      return !HTTP_PROTOCOLS.has(proto) && !TLS_PROTOCOLS.has(proto);
    });
    if (opaque >= 0)
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        at('spec.ports', opaque),
        'several hosts cannot share a non-HTTP, non-TLS port unless resolution is NONE',
      );
  }

  if (endpoints.length > 0 && spec['workloadSelector'] !== undefined)
    issues.error('CFG_ERR_ONEOF', 'spec', 'only one of endpoints, workloadSelector may be set');
  if (resolution === 'NONE' && endpoints.length > 0)
    issues.error(
      'CFG_ERR_INVALID_VALUE',
      'spec.endpoints',
      'resolution NONE takes no endpoints (traffic goes to the original destination)',
    );
  if (resolution === 'NONE' && spec['workloadSelector'] !== undefined)
    issues.warn(
      'CFG_WARN_SUSPICIOUS',
      'spec.workloadSelector',
      'workloadSelector has no effect with resolution NONE',
    );
  if (resolution === 'STATIC' && endpoints.length === 0 && spec['workloadSelector'] === undefined)
    issues.warn(
      'CFG_WARN_SUSPICIOUS',
      'spec.endpoints',
      'resolution STATIC without endpoints or a workloadSelector has no endpoints',
    );
  if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1)
    issues.error(
      'CFG_ERR_OUT_OF_RANGE',
      'spec.endpoints',
      `resolution DNS_ROUND_ROBIN allows at most 1 endpoint, found ${endpoints.length}`,
    );
  endpoints.forEach((e, i) => {
    if (!isObj(e)) return;
    const p = at('spec.endpoints', i);
    validateEndpoint(e, p, resolution, portNames, issues);
    if (typeof e['address'] === 'string' && e['address'].startsWith('unix://') && ports.length !== 1)
      issues.error(
        'CFG_ERR_INVALID_ADDRESS',
        at(p, 'address'),
        `a unix socket endpoint needs exactly 1 service port, found ${ports.length}`,
      );
  });
  checkWorkloadSelector(issues, 'spec.workloadSelector', spec['workloadSelector']);
  checkExportTo(issues, 'spec.exportTo', spec['exportTo']);
}

function validateEndpoint(
  e: Obj,
  p: string,
  resolution: string,
  portNames: Set<unknown>,
  issues: Issues,
): void {
  const address = str(e['address']);
  if (address === undefined || address === '') {
    issues.error('CFG_ERR_MISSING_FIELD', at(p, 'address'), '"address" is required');
  } else if (address.startsWith('unix://')) {
    if (address.length <= 'unix://'.length)
      issues.error(
        'CFG_ERR_INVALID_ADDRESS',
        at(p, 'address'),
        `${JSON.stringify(address)} has no socket path`,
      );
    if (e['ports'] !== undefined)
      issues.error('CFG_ERR_INVALID_ADDRESS', at(p, 'ports'), 'unix socket endpoints cannot have ports');
  } else if (resolution === 'STATIC' || resolution === 'NONE') {
    if (isIP(address) === 0)
      issues.error(
        'CFG_ERR_INVALID_ADDRESS',
        at(p, 'address'),
        `${JSON.stringify(address)} must be an IP address for resolution ${resolution}`,
      );
  } else {
    const problem = isIP(address) === 0 ? hostProblem(address, { wildcard: 'none' }) : undefined;
    if (problem)
      issues.error(
        'CFG_ERR_INVALID_ADDRESS',
        at(p, 'address'),
        `${JSON.stringify(address)} is not an IP or DNS name: ${problem}`,
      );
  }
  for (const [name, number] of entries(e['ports'])) {
    const pp = at(at(p, 'ports'), name);
    if (!portNames.has(name))
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        pp,
        `endpoint port ${JSON.stringify(name)} names no port in spec.ports`,
      );
    checkPort(issues, pp, number);
  }
  checkLabels(issues, at(p, 'labels'), e['labels']);
  if (typeof e['locality'] === 'string') checkLocality(issues, at(p, 'locality'), e['locality'], false);
  checkRange(issues, at(p, 'weight'), e['weight'], 0, UINT32_MAX);
}
