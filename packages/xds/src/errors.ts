// One table of every code @strait/xds reports. Callers (pilot, proxy, ctl) branch on `code`, never on
// message text, so codes are stable strings documented in docs/errors.md; a test keeps the two in sync.

import { StraitError } from '@strait/errors';

export const XDS_CODES = {
  XDS_ERR_DECODE: 'bytes could not be decoded as the expected message; names the type URL and field path',
  XDS_ERR_ENCODE: 'a message could not be encoded (a field holds a value of the wrong type)',
  XDS_ERR_UNKNOWN_TYPE_URL: 'an Any or a request names a type URL no codec is registered for',
  XDS_ERR_TYPE_URL_MISMATCH: 'an Any holds a different type than the caller asked for',
  XDS_ERR_INVALID_ARGUMENT: 'a resource builder was given input it cannot turn into valid Envoy config',
  XDS_ERR_DESCRIPTOR: 'the generated reflection descriptor is missing or unreadable (run generate)',
} as const;

export type XdsErrorCode = keyof typeof XDS_CODES;

// The one base of every Strait exception; re-exported so `StraitError` keeps resolving from this package.
export { StraitError };

/** Any error raised by @strait/xds. */
export class XdsError extends StraitError {
  declare readonly code: XdsErrorCode;

  constructor(
    code: XdsErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, context, options);
  }
}

/**
 * Bytes that do not decode. `path` is the field path inside the message where decoding failed
 * (`endpoints[0].lb_endpoints[3].endpoint.address.socket_address.port_value`, empty at top level) and
 * `reason` what was wrong there (`truncated varint`); a NACK can quote both.
 */
export class XdsDecodeError extends XdsError {
  readonly typeUrl: string;
  readonly path: string;
  readonly reason: string;
  readonly offset: number;

  constructor(typeUrl: string, path: string, reason: string, offset: number, options?: ErrorOptions) {
    const where = path === '' ? '' : ` at ${path}`;
    super(
      'XDS_ERR_DECODE',
      `cannot decode ${typeUrl}${where}: ${reason} (byte ${offset})`,
      { typeUrl, path, reason, offset },
      options,
    );
    this.typeUrl = typeUrl;
    this.path = path;
    this.reason = reason;
    this.offset = offset;
  }
}

export class XdsEncodeError extends XdsError {
  readonly typeUrl: string;

  constructor(typeUrl: string, reason: string, options?: ErrorOptions) {
    super('XDS_ERR_ENCODE', `cannot encode ${typeUrl}: ${reason}`, { typeUrl, reason }, options);
    this.typeUrl = typeUrl;
  }
}

export class XdsUnknownTypeUrlError extends XdsError {
  readonly typeUrl: string;

  constructor(typeUrl: string, path = '') {
    const where = path === '' ? '' : ` (at ${path})`;
    super('XDS_ERR_UNKNOWN_TYPE_URL', `no codec registered for type URL "${typeUrl}"${where}`, {
      typeUrl,
      path,
    });
    this.typeUrl = typeUrl;
  }
}

export class XdsTypeUrlMismatchError extends XdsError {
  readonly expected: string;
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super('XDS_ERR_TYPE_URL_MISMATCH', `expected an Any of ${expected}, got ${actual}`, { expected, actual });
    this.expected = expected;
    this.actual = actual;
  }
}

/** A builder input problem; `path` names the offending input field (`localities[1].endpoints[0].port`). */
export class XdsInvalidArgumentError extends XdsError {
  readonly path: string;

  constructor(path: string, message: string) {
    super('XDS_ERR_INVALID_ARGUMENT', `${path}: ${message}`, { path });
    this.path = path;
  }
}

export class XdsDescriptorError extends XdsError {
  constructor(message: string, options?: ErrorOptions) {
    super('XDS_ERR_DESCRIPTOR', message, {}, options);
  }
}
