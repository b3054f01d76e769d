// One table of every code the proxy reports. Callers (the future xDS client building a NACK, the admin
// API, tests) branch on `code`, never on message text; docs/errors.md lists every code and a test keeps
// the two in sync. Config problems are returned as `ConfigIssue` data (all at once, each naming the
// resource and field), never thrown; only I/O and programming failures become `ProxyError` exceptions.

import { StraitError } from '@strait/errors';

export const PROXY_CODES = {
  // Bootstrap and flags
  PROXY_ERR_BOOTSTRAP_READ: 'the bootstrap file could not be read',
  PROXY_ERR_BOOTSTRAP_PARSE: 'the bootstrap file is not valid YAML or JSON',
  PROXY_ERR_BAD_FLAG: 'a command-line flag is unknown or has a bad value',
  // Config translation (Envoy resource -> runtime model); these carry a resource and a field path
  PROXY_ERR_UNKNOWN_FIELD: 'a field does not exist in the Envoy message (proto3 JSON mapping)',
  PROXY_ERR_INVALID_TYPE: 'a field has the wrong JSON type for its proto type',
  PROXY_ERR_UNKNOWN_TYPE_URL: 'an Any carries a type URL the proxy does not know',
  PROXY_ERR_MISSING_FIELD: 'a required field is missing or empty',
  PROXY_ERR_INVALID_VALUE: 'a field value is out of range or malformed',
  PROXY_ERR_UNSUPPORTED: 'a valid Envoy feature the proxy does not implement',
  PROXY_ERR_DUPLICATE: 'a name that must be unique appears twice',
  PROXY_ERR_INVALID_REGEX: 'a safe_regex does not compile',
  PROXY_ERR_TLS_FILE: 'a TLS certificate, private key or CA (file or inline data) cannot be read or used',
  PROXY_ERR_UNKNOWN_REFERENCE: 'a cluster or route configuration named by another resource does not exist',
  // Runtime
  PROXY_ERR_LISTEN: 'a listener could not bind its address',
  PROXY_ERR_ADMIN_LISTEN: 'the admin or Prometheus server could not bind its address',
  PROXY_ERR_NO_HEALTHY_UPSTREAM: 'the cluster has no healthy host to send to',
  PROXY_ERR_UPSTREAM_CONNECT: 'connecting to the upstream host failed',
  PROXY_ERR_UPSTREAM_RESET: 'the upstream connection or stream was reset before the response completed',
  PROXY_ERR_UPSTREAM_TIMEOUT: 'the upstream did not answer within the route or per-try timeout',
  PROXY_ERR_OVERFLOW: 'a circuit breaker (connections, pending, requests, retries) is full',
  PROXY_ERR_LIMIT: 'a bounded table (stats label sets, pending buffers) is full',
  PROXY_ERR_PROTOCOL:
    'a peer sent bytes that break its protocol (Dubbo: bad magic, bad length, undecodable body)',
  PROXY_ERR_NO_ROUTE: 'no route matches the request (Dubbo: interface, group, version, method, arguments)',
  // xDS client
  PROXY_ERR_XDS_TARGET:
    'the bootstrap names no usable xDS server (ads_config, its cluster, or --xds-address)',
  PROXY_ERR_XDS_DECODE: 'an xDS resource could not be decoded as its type',
  PROXY_ERR_REGISTRY: 'a registry named by a scale-out cluster could not be opened or watched',
} as const;

export type ProxyCode = keyof typeof PROXY_CODES;

/** One config problem: which resource, which field, what is wrong (value and limit when there is one). */
export interface ConfigIssue {
  code: ProxyCode;
  /** `Listener "inbound_0.0.0.0_15006"`, `Cluster "outbound|80||a.ns.svc.cluster.local"`, `Bootstrap`. */
  resource: string;
  /** Envoy field path in snake_case, e.g. `filter_chains[0].filters[0].typed_config.route_config`. */
  path: string;
  message: string;
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.resource}: ${i.path || '(root)'}: ${i.message} [${i.code}]`;
}

/** Collects issues while translating one resource; `at` scopes paths so helpers stay path-agnostic. */
export class IssueList {
  readonly items: ConfigIssue[] = [];
  constructor(readonly resource: string) {}
  add(code: ProxyCode, path: string, message: string): void {
    this.items.push({ code, resource: this.resource, path, message });
  }
  get ok(): boolean {
    return this.items.length === 0;
  }
}

export type Translation<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[] };

/** Base of every exception the proxy throws; `code` is the stable part, `issues` details config errors. */
export class ProxyError extends StraitError {
  declare readonly code: ProxyCode;
  readonly issues: ConfigIssue[];
  constructor(code: ProxyCode, message?: string, options?: { cause?: unknown; issues?: ConfigIssue[] }) {
    super(
      code,
      message ?? PROXY_CODES[code],
      {},
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.issues = options?.issues ?? [];
  }
}
