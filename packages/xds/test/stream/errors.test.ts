import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StraitError } from '../../src/errors.js';
import {
  isXdsStreamError,
  STREAM_ERROR_GRPC_STATUS,
  XdsStreamError,
  XdsStreamErrorCode,
} from '../../src/stream/index.js';

const codes = Object.values(XdsStreamErrorCode);

describe('stream error codes', () => {
  it.each(codes)('%s is prefixed, carries its code and a default message', (code) => {
    expect(code).toMatch(/^XDS_ERR_STREAM_[A-Z_]+$/);
    const error = new XdsStreamError(code);
    expect(error).toBeInstanceOf(StraitError);
    expect(isXdsStreamError(error)).toBe(true);
    expect(error.code).toBe(code);
    expect(error.name).toBe('XdsStreamError');
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('has no duplicate codes', () => {
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('maps stream-ending codes to gRPC statuses', () => {
    for (const status of Object.values(STREAM_ERROR_GRPC_STATUS)) expect([3, 8]).toContain(status);
  });

  it('docs/xds-stream.md lists every code', () => {
    const doc = readFileSync(new URL('../../../../docs/xds-stream.md', import.meta.url), 'utf8');
    for (const code of codes) expect(doc).toContain(code);
  });
});
