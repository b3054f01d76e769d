import { readFileSync } from 'node:fs';
import { documentedCodes } from '@strait/errors';
import { describe, expect, it } from 'vitest';
import { PROXY_CODES, ProxyError } from '../src/errors.js';

describe('error codes', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

  it('docs/errors.md lists every PROXY_ERR code and no retired ones', () => {
    const documented = documentedCodes(doc, 'strait-proxy', 'PROXY_ERR_');
    expect(new Set(documented)).toEqual(new Set(Object.keys(PROXY_CODES)));
  });

  it.each(Object.keys(PROXY_CODES) as (keyof typeof PROXY_CODES)[])('%s has a default message', (code) => {
    const e = new ProxyError(code);
    expect(e.code).toBe(code);
    expect(e.message).toBe(PROXY_CODES[code]);
  });
});
