// One base class and a subclass per failure, each with a stable DUBBO_ERR_* code (docs/errors.md lists them).
// Callers branch on `code`, never on message text.

import { StraitError } from '@strait/errors';

export const DubboErrorCode = {
  BAD_MAGIC: 'DUBBO_ERR_BAD_MAGIC',
  FRAME_TOO_LARGE: 'DUBBO_ERR_FRAME_TOO_LARGE',
  TRUNCATED: 'DUBBO_ERR_TRUNCATED',
  HESSIAN: 'DUBBO_ERR_HESSIAN',
  UNSUPPORTED_SERIALIZATION: 'DUBBO_ERR_UNSUPPORTED_SERIALIZATION',
  BAD_DESCRIPTOR: 'DUBBO_ERR_BAD_DESCRIPTOR',
  NOT_A_REQUEST: 'DUBBO_ERR_NOT_A_REQUEST',
  NOT_A_RESPONSE: 'DUBBO_ERR_NOT_A_RESPONSE',
  ENCODE: 'DUBBO_ERR_ENCODE',
  TIMEOUT: 'DUBBO_ERR_TIMEOUT',
  CONNECTION_CLOSED: 'DUBBO_ERR_CONNECTION_CLOSED',
  READONLY: 'DUBBO_ERR_READONLY',
  NO_PROVIDER: 'DUBBO_ERR_NO_PROVIDER',
  REMOTE: 'DUBBO_ERR_REMOTE',
  SERVICE_EXCEPTION: 'DUBBO_ERR_SERVICE_EXCEPTION',
} as const;

export type DubboErrorCodeValue = (typeof DubboErrorCode)[keyof typeof DubboErrorCode];

// The one base of every Strait exception; re-exported so `StraitError` keeps resolving from this package.
export { StraitError };

/** Base of every error @strait/dubbo throws; `code` is stable across releases. */
export class DubboError extends StraitError {
  declare readonly code: DubboErrorCodeValue;
}

/** The first two bytes of a frame are not 0xdabb: the stream is not Dubbo2, or we lost framing. */
export class DubboBadMagicError extends DubboError {
  readonly magic: number;
  constructor(magic: number) {
    super(DubboErrorCode.BAD_MAGIC, `bad magic 0x${magic.toString(16).padStart(4, '0')}, want 0xdabb`);
    this.magic = magic;
  }
}

/** The header announces a body longer than the configured limit (Dubbo's `payload`, 8 MiB by default). */
export class DubboFrameTooLargeError extends DubboError {
  readonly bodyLength: number;
  readonly limit: number;
  constructor(bodyLength: number, limit: number) {
    super(
      DubboErrorCode.FRAME_TOO_LARGE,
      `frame body of ${bodyLength} bytes exceeds the limit of ${limit} bytes`,
    );
    this.bodyLength = bodyLength;
    this.limit = limit;
  }
}

/** A complete frame whose body ends before its content does. */
export class DubboTruncatedError extends DubboError {
  constructor(what: string) {
    super(DubboErrorCode.TRUNCATED, `truncated: ${what}`);
  }
}

/** The Hessian2 body is malformed (unknown code, bad reference, nesting too deep, wrong type). */
export class DubboHessianError extends DubboError {
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(DubboErrorCode.HESSIAN, `hessian2: ${message} at offset ${offset}`, {}, options);
    this.offset = offset;
  }
}

export class DubboUnsupportedSerializationError extends DubboError {
  readonly serializationId: number;
  constructor(serializationId: number) {
    super(
      DubboErrorCode.UNSUPPORTED_SERIALIZATION,
      `serialization id ${serializationId} is not supported, only hessian2 (2)`,
    );
    this.serializationId = serializationId;
  }
}

export class DubboBadDescriptorError extends DubboError {
  readonly descriptor: string;
  constructor(descriptor: string, at: number) {
    super(
      DubboErrorCode.BAD_DESCRIPTOR,
      `bad JVM parameter descriptor ${JSON.stringify(descriptor)} at index ${at}`,
    );
    this.descriptor = descriptor;
  }
}

export class DubboNotARequestError extends DubboError {
  constructor(why: string) {
    super(DubboErrorCode.NOT_A_REQUEST, `not a request frame: ${why}`);
  }
}

export class DubboNotAResponseError extends DubboError {
  constructor() {
    super(DubboErrorCode.NOT_A_RESPONSE, 'not a response frame: the request flag (0x80) is set');
  }
}

/** A value cannot be written as Hessian2 (for example a long outside 64 bits). */
export class DubboEncodeError extends DubboError {
  constructor(message: string) {
    super(DubboErrorCode.ENCODE, `encode: ${message}`);
  }
}

export class DubboTimeoutError extends DubboError {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super(DubboErrorCode.TIMEOUT, `${what} timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

export class DubboConnectionClosedError extends DubboError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(DubboErrorCode.CONNECTION_CLOSED, `connection closed: ${detail}`, {}, options);
  }
}

/** The provider sent the READONLY event on this connection: it takes no new calls. */
export class DubboReadonlyError extends DubboError {
  constructor(address: string) {
    super(DubboErrorCode.READONLY, `provider ${address} is read-only (shutting down)`);
  }
}

export class DubboNoProviderError extends DubboError {
  constructor(service: string) {
    super(DubboErrorCode.NO_PROVIDER, `no available provider for ${service}`);
  }
}

/** The peer answered with a non-OK status byte; `status` is that byte (e.g. 60 SERVICE_NOT_FOUND). */
export class DubboRemoteError extends DubboError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(DubboErrorCode.REMOTE, `remote status ${status}: ${message}`);
    this.status = status;
  }
}

/** The provider's method threw: the response carried RESPONSE_WITH_EXCEPTION; `exception` is the decoded value. */
export class DubboServiceExceptionError extends DubboError {
  readonly exception: unknown;
  constructor(message: string, exception: unknown) {
    super(DubboErrorCode.SERVICE_EXCEPTION, `service exception: ${message}`);
    this.exception = exception;
  }
}
