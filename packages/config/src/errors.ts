// One table of every code this package can report. Callers (pilot, ctl, operator webhook) branch on
// `code`, never on message text, so codes are stable and documented in docs/errors.md; a test keeps the
// two in sync. Validation problems are returned as `ConfigIssue` data, never thrown: only programming or
// I/O failures at API boundaries become `ConfigError` exceptions.

import { StraitError } from '@strait/errors';

export const CFG_CODES = {
  // Loading
  CFG_ERR_FILE_READ: 'a config file or directory could not be read',
  CFG_ERR_FILE_TOO_LARGE: 'a config file is larger than the loader limit',
  CFG_ERR_YAML_PARSE: 'a YAML document could not be parsed',
  CFG_ERR_NOT_AN_OBJECT: 'a YAML document is not a mapping',
  CFG_ERR_UNKNOWN_KIND: 'apiVersion/kind is not one Strait understands',
  CFG_ERR_DUPLICATE_OBJECT: 'the same kind/namespace/name is defined twice',
  CFG_ERR_WATCH: 'the directory watcher failed',
  // Structure
  CFG_ERR_MISSING_FIELD: 'a required field is missing or empty',
  CFG_ERR_INVALID_TYPE: 'a field has the wrong YAML type',
  CFG_ERR_UNKNOWN_FIELD: 'a field does not exist in the kind (a typo?)',
  CFG_ERR_INVALID_ENUM: 'a field is not one of its allowed values',
  CFG_ERR_ONEOF: 'mutually exclusive fields are set together, or none of a required set is set',
  // Values
  CFG_ERR_INVALID_NAME: 'metadata name/namespace is not a DNS-1123 name',
  CFG_ERR_INVALID_HOST: 'a host name is not a valid (optionally wildcard) DNS name',
  CFG_ERR_INVALID_DURATION: 'a duration is malformed or below its minimum',
  CFG_ERR_INVALID_PERCENTAGE: 'a percentage is outside 0..100',
  CFG_ERR_INVALID_PORT: 'a port number is outside 1..65535',
  CFG_ERR_INVALID_WEIGHT:
    'a route weight is negative or above 2^31-1, or a locality weight is outside 1..100',
  CFG_ERR_WEIGHT_SUM:
    'route weights of several destinations add up to 0 or beyond 2^31-1, or locality weights do not add up to 100',
  CFG_ERR_INVALID_SUBSET_NAME: 'a subset name is not a DNS-1123 label',
  CFG_ERR_DUPLICATE: 'a name or number that must be unique appears twice',
  CFG_ERR_INVALID_REGEX: 'a regular expression does not compile',
  CFG_ERR_INVALID_HEADER_NAME: 'a header name is not a valid lower-case HTTP header name',
  CFG_ERR_INVALID_RETRY_ON: 'retryOn has a policy Envoy does not know',
  CFG_ERR_OUT_OF_RANGE: 'a number is outside its allowed range',
  CFG_ERR_INVALID_LABEL: 'a label key or value is not a valid Kubernetes label',
  CFG_ERR_INVALID_ADDRESS: 'an IP address or CIDR is malformed',
  CFG_ERR_INVALID_EXPORT_TO: 'an exportTo entry is not ".", "*" or a namespace name',
  CFG_ERR_INVALID_VALUE: 'a string value is malformed for its field',
  // Warnings: reported apart from errors, never reject an object.
  CFG_WARN_DEPRECATED: 'a deprecated field or apiVersion is used',
  CFG_WARN_UNSUPPORTED_FIELD: 'a valid Istio field Strait does not implement: ignored',
  CFG_WARN_UNSUPPORTED_VALUE: 'a valid Istio value Strait does not implement: the feature stays off',
  CFG_WARN_NOT_TRANSLATABLE: 'a Strait field Envoy xDS cannot carry; only Strait proxies honour it',
  CFG_WARN_SUSPICIOUS: 'a valid but probably unintended value',
} as const;

export type ConfigCode = keyof typeof CFG_CODES;
export type ConfigErrorCode = Extract<ConfigCode, `CFG_ERR_${string}`>;
export type ConfigWarningCode = Extract<ConfigCode, `CFG_WARN_${string}`>;

/** One validation or loading problem. `path` is a field path like `spec.http[0].route[1].weight`. */
export interface ConfigIssue {
  code: ConfigCode;
  severity: 'error' | 'warning';
  path: string;
  message: string;
}

// The one base of every Strait exception; re-exported so `StraitError` keeps resolving from this package.
export { StraitError };

/** Thrown only for failures at API boundaries (unreadable directory, misuse); never for bad config. */
export class ConfigError extends StraitError {
  declare readonly code: ConfigCode;
  readonly issues: readonly ConfigIssue[];
  constructor(code: ConfigCode, message?: string, options?: { cause?: unknown; issues?: ConfigIssue[] }) {
    super(code, message ?? CFG_CODES[code], {}, options);
    this.issues = options?.issues ?? [];
  }
}

export function isErrorCode(code: ConfigCode): code is ConfigErrorCode {
  return code.startsWith('CFG_ERR_');
}
