import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentedCodes } from '@strait/errors';
import { describe, expect, it } from 'vitest';
import {
  StraitError,
  XDS_CODES,
  XdsDecodeError,
  XdsEncodeError,
  XdsError,
  XdsInvalidArgumentError,
  XdsTypeUrlMismatchError,
  XdsUnknownTypeUrlError,
} from '../src/index.js';

const docs = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');

// The stream state's XDS_ERR_STREAM_* codes have their own table (src/stream/errors.ts).
const listed = documentedCodes(docs, '@strait/xds', 'XDS_').filter((c) => !c.startsWith('XDS_ERR_STREAM_'));

describe('error codes', () => {
  it('docs/errors.md lists every code and no retired ones', () => {
    expect(listed.sort()).toEqual(Object.keys(XDS_CODES).sort());
  });

  it.each([
    [new XdsDecodeError('t', 'a.b', 'truncated varint', 3), 'XDS_ERR_DECODE'],
    [new XdsEncodeError('t', 'bad'), 'XDS_ERR_ENCODE'],
    [new XdsUnknownTypeUrlError('t'), 'XDS_ERR_UNKNOWN_TYPE_URL'],
    [new XdsTypeUrlMismatchError('a', 'b'), 'XDS_ERR_TYPE_URL_MISMATCH'],
    [new XdsInvalidArgumentError('port', 'bad'), 'XDS_ERR_INVALID_ARGUMENT'],
  ] as const)('%s has code %s and the common base', (err, code) => {
    expect(err.code).toBe(code);
    expect(err).toBeInstanceOf(XdsError);
    expect(err).toBeInstanceOf(StraitError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(err.constructor.name);
    expect(Object.keys(XDS_CODES)).toContain(err.code);
  });

  it('puts decode details into context for logs', () => {
    const err = new XdsDecodeError('type.googleapis.com/x.Y', 'a[1].b', 'truncated varint', 9);
    expect(err.context).toEqual({
      typeUrl: 'type.googleapis.com/x.Y',
      path: 'a[1].b',
      reason: 'truncated varint',
      offset: 9,
    });
    expect(err.message).toBe('cannot decode type.googleapis.com/x.Y at a[1].b: truncated varint (byte 9)');
  });
});
