// ServiceEntry: schema and Istio's semantic rules (pkg/config/validation: ValidateServiceEntry).
import { isIP } from 'node:net';
import { checkProtocol, port, workloadSelector } from './common.js';
import { checkLocality } from './destination-rule.js';
import { arr, at, entries, type Issues, isObj, type Obj, str } from './issues.js';
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

export function validateServiceEntry(spec: Obj, issues: Issues): void {
  const resolution = str(spec['resolution']) ?? 'NONE';
  const hosts = arr(spec['hosts']);
  if (hosts.length === 0)
    issues.error('CFG_ERR_MISSING_FIELD', 'spec.hosts', 'a ServiceEntry needs at least one host');
  hosts.forEach((h, i) => {
    const p = at('spec.hosts', i);
    checkHost(issues, p, h, { wildcard: 'prefix', bareWildcard: false });
    // A wildcard host has no single name to resolve.
    if (
      typeof h === 'string' &&
      h.startsWith('*.') &&
      (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') &&
      !hostProblem(h, { wildcard: 'prefix' })
    )
      issues.error(
        'CFG_ERR_INVALID_HOST',
        p,
        `wildcard host ${JSON.stringify(h)} cannot be used with resolution ${resolution}`,
      );
  });
  arr(spec['addresses']).forEach((a, i) => {
    checkCidr(issues, at('spec.addresses', i), a);
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

  const endpoints = arr(spec['endpoints']);
  if (endpoints.length > 0 && spec['workloadSelector'] !== undefined)
    issues.error('CFG_ERR_ONEOF', 'spec', 'only one of endpoints, workloadSelector may be set');
  if (resolution === 'STATIC' && endpoints.length === 0 && spec['workloadSelector'] === undefined)
    issues.error(
      'CFG_ERR_MISSING_FIELD',
      'spec.endpoints',
      'resolution STATIC needs endpoints or a workloadSelector',
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
