// Schema pieces and rules shared by several kinds.
import { at, type Issues, isObj } from './issues.js';
import { deprecated, req, type Schema, s, stringMap } from './schema.js';
import { checkHost, checkPort, isDns1123Label } from './values.js';

export const stringMatch = (): Schema => s.obj({ exact: s.str(), prefix: s.str(), regex: s.str() });
export const percent = (): Schema => s.obj({ value: s.num() });
export const portSelector = (): Schema => s.obj({ number: s.int() });
export const workloadSelector = (): Schema => s.obj({ labels: stringMap() });

export const destination = (): Schema => s.obj({ host: req(s.str()), subset: s.str(), port: portSelector() });

/** Istio's Port / ServicePort. */
export const port = (): Schema =>
  s.obj({ number: req(s.int()), protocol: s.str(), name: s.str(), targetPort: s.int() });

export const metadata = (): Schema =>
  s.open({
    name: req(s.str()),
    namespace: s.str(),
    labels: stringMap(),
    annotations: stringMap(),
  });

/** Top-level object envelope; `status` is written by controllers and ignored on input. */
export const envelope = (spec: Schema): Schema =>
  s.obj({
    // apiVersion and kind are checked (once) by validate() before the walk.
    apiVersion: s.str(),
    kind: req(s.str()),
    metadata: req(metadata()),
    spec: req(spec),
    status: s.open({}),
  });

export { deprecated };

/**
 * Istio protocol names (case-insensitive; Istio also accepts "name-suffix" forms only for port names).
 * DUBBO is Strait's: it selects the dubbo_proxy network filter.
 */
export const PROTOCOLS = [
  'HTTP',
  'HTTPS',
  'GRPC',
  'GRPC-WEB',
  'HTTP2',
  'HTTP_PROXY',
  'MONGO',
  'MYSQL',
  'REDIS',
  'TCP',
  'TLS',
  'UDP',
  'DUBBO',
];

export function checkProtocol(issues: Issues, path: string, v: unknown): void {
  if (typeof v !== 'string') return;
  if (!PROTOCOLS.includes(v.toUpperCase()))
    issues.error('CFG_ERR_INVALID_ENUM', path, `protocol "${v}" is not one of ${PROTOCOLS.join(', ')}`);
}

/** Istio's Destination: host (no bare "*"), DNS-1123 subset name, port number. */
export function checkDestination(issues: Issues, path: string, v: unknown): void {
  if (!isObj(v)) return;
  checkHost(issues, at(path, 'host'), v['host'], { wildcard: 'prefix', bareWildcard: false, allowIp: true });
  checkSubsetName(issues, at(path, 'subset'), v['subset']);
  if (isObj(v['port'])) checkPort(issues, at(at(path, 'port'), 'number'), v['port']['number']);
}

export function checkSubsetName(issues: Issues, path: string, v: unknown): void {
  if (typeof v !== 'string') return;
  if (!isDns1123Label(v))
    issues.error(
      'CFG_ERR_INVALID_SUBSET_NAME',
      path,
      `subset name "${v}" is not a DNS-1123 label (lower-case alphanumerics and "-", at most 63)`,
    );
}
