import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentedCodes } from '@strait/errors';
import { describe, expect, it } from 'vitest';
import {
  DubboBadDescriptorError,
  DubboBadMagicError,
  DubboConnectionClosedError,
  DubboEncodeError,
  DubboError,
  DubboErrorCode,
  DubboFrameTooLargeError,
  DubboHessianError,
  DubboNoProviderError,
  DubboNotARequestError,
  DubboNotAResponseError,
  DubboReadonlyError,
  DubboRemoteError,
  DubboServiceExceptionError,
  DubboTimeoutError,
  DubboTruncatedError,
  DubboUnsupportedSerializationError,
  StraitError,
} from '../src/index.js';

const table: [DubboError, string][] = [
  [new DubboBadMagicError(0x4745), 'DUBBO_ERR_BAD_MAGIC'],
  [new DubboFrameTooLargeError(10, 5), 'DUBBO_ERR_FRAME_TOO_LARGE'],
  [new DubboTruncatedError('x'), 'DUBBO_ERR_TRUNCATED'],
  [new DubboHessianError('x', 3), 'DUBBO_ERR_HESSIAN'],
  [new DubboUnsupportedSerializationError(8), 'DUBBO_ERR_UNSUPPORTED_SERIALIZATION'],
  [new DubboBadDescriptorError('Q', 0), 'DUBBO_ERR_BAD_DESCRIPTOR'],
  [new DubboNotARequestError('x'), 'DUBBO_ERR_NOT_A_REQUEST'],
  [new DubboNotAResponseError(), 'DUBBO_ERR_NOT_A_RESPONSE'],
  [new DubboEncodeError('x'), 'DUBBO_ERR_ENCODE'],
  [new DubboTimeoutError('x', 1), 'DUBBO_ERR_TIMEOUT'],
  [new DubboConnectionClosedError('x'), 'DUBBO_ERR_CONNECTION_CLOSED'],
  [new DubboReadonlyError('h:1'), 'DUBBO_ERR_READONLY'],
  [new DubboNoProviderError('s'), 'DUBBO_ERR_NO_PROVIDER'],
  [new DubboRemoteError(60, 'x'), 'DUBBO_ERR_REMOTE'],
  [new DubboServiceExceptionError('x', {}), 'DUBBO_ERR_SERVICE_EXCEPTION'],
];

describe('errors', () => {
  it.each(table)('%s has a stable code and the shared base classes', (err, code) => {
    expect(err.code).toBe(code);
    expect(err).toBeInstanceOf(DubboError);
    expect(err).toBeInstanceOf(StraitError);
    expect(err.name).toBe(err.constructor.name);
  });

  it('every code has a class in the table', () => {
    expect(new Set(table.map(([, c]) => c))).toEqual(new Set(Object.values(DubboErrorCode)));
  });

  it('docs/errors.md lists every code, and no retired ones, in the @strait/dubbo section', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
    const listed = new Set(documentedCodes(doc, '@strait/dubbo', 'DUBBO_ERR_'));
    expect(listed).toEqual(new Set(Object.values(DubboErrorCode)));
  });
});
